// Address strings as HAProxy's str2sa_range() reads them, for "bind", "server", "source"...
import { isIPv4, isIPv6 } from 'node:net';
import type { Address } from './model.ts';

export interface AddressRules {
  /** bind: a port (or range) is required. server: optional ("same port as the client"). */
  readonly port: 'required' | 'optional';
  /** bind accepts port ranges "80-90" and comma lists; server does not. */
  readonly ranges: boolean;
  /** server ports may be "+N"/"-N": an offset added to the port the client reached. */
  readonly offsets: boolean;
  /** Hostnames allowed (server: resolved later; bind: resolved now by the caller). */
  readonly fqdn: boolean;
  readonly keyword: string;
}

/** Parses one address word (possibly a comma list/range for bind) into concrete addresses. */
export function parseAddress(text: string, rules: AddressRules): Address[] | string {
  const out: Address[] = [];
  for (const part of rules.ranges ? text.split(',') : [text]) {
    const r = parseOne(part, rules);
    if (typeof r === 'string') return r;
    out.push(...r);
  }
  return out;
}

function parseOne(text: string, rules: AddressRules): Address[] | string {
  const kw = rules.keyword;
  let family: 'ipv4' | 'ipv6' | null = null;
  let rest = text;
  const at = text.indexOf('@');
  if (at > 0 && /^[a-z0-9]+$/.test(text.slice(0, at))) {
    const prefix = text.slice(0, at);
    rest = text.slice(at + 1);
    switch (prefix) {
      case 'ipv4': family = 'ipv4'; break;
      case 'ipv6': family = 'ipv6'; break;
      case 'unix':
        if (!rest) return `'${kw}' : missing path in '${text}'`;
        return [{ kind: 'unix', path: rest, abstract: false }];
      case 'abns':
        if (!rest) return `'${kw}' : missing path in '${text}'`;
        return [{ kind: 'unix', path: rest, abstract: true }];
      case 'fd': {
        if (!/^\d+$/.test(rest)) return `'${kw}' : file descriptor '${rest}' is not a valid integer in '${text}'`;
        return [{ kind: 'fd', fd: Number(rest) }];
      }
      case 'sockpair':
        return `'${kw}' : address family 'sockpair@' in '${text}' is not supported by Turnpike (it needs socketpair fd passing, unavailable to Node.js); use 'fd@' or 'unix@'`;
      case 'udp': case 'udp4': case 'udp6': case 'quic4': case 'quic6': case 'uxst': case 'uxdg': case 'tcp': case 'tcp4': case 'tcp6':
        if (prefix === 'tcp' || prefix === 'tcp4' || prefix === 'tcp6') {
          family = prefix === 'tcp6' ? 'ipv6' : prefix === 'tcp4' ? 'ipv4' : null;
          break;
        }
        if (prefix === 'uxst') {
          if (!rest) return `'${kw}' : missing path in '${text}'`;
          return [{ kind: 'unix', path: rest, abstract: false }];
        }
        return `'${kw}' : address family '${prefix}@' in '${text}' is not supported by Turnpike yet (stream sockets only)`;
      default:
        return `'${kw}' : unknown address family '${prefix}@' in '${text}'`;
    }
  } else if (text.startsWith('/')) {
    return [{ kind: 'unix', path: text, abstract: false }];
  }

  // Split host and port on the last colon; "[v6]:port" brackets are optional in HAProxy.
  let host: string;
  let portText: string | null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return `'${kw}' : invalid address: missing ']' in '${text}'`;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after && !after.startsWith(':')) return `'${kw}' : invalid address '${text}'`;
    portText = after ? after.slice(1) : null;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) {
      host = rest;
      portText = null;
    } else {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
      // "::1" alone (no port): every colon belongs to the IPv6 address.
      if (isIPv6(rest) && !isIPv6(host) && !(host === '' || host === '*')) {
        host = rest;
        portText = null;
      }
    }
  }
  if (host === '*' || host === '') host = family === 'ipv6' ? '::' : '0.0.0.0';

  let kind: 'ipv4' | 'ipv6' | 'fqdn';
  if (isIPv4(host)) kind = 'ipv4';
  else if (isIPv6(host)) kind = 'ipv6';
  else {
    if (!rules.fqdn || !/^[A-Za-z0-9_.-]+$/.test(host)) return `'${kw}' : invalid address: '${host}' in '${text}'`;
    kind = 'fqdn';
  }
  if (family && kind !== 'fqdn' && family !== kind) {
    return `'${kw}' : address '${host}' does not match the '${family}@' family in '${text}'`;
  }

  if (portText === null || portText === '') {
    if (rules.port === 'required') return `'${kw}' : missing port number: '${text}'`;
    return [{ kind, host, port: 0 }];
  }
  let offset = false;
  if ((portText[0] === '+' || portText[0] === '-') && rules.offsets) {
    offset = true;
  }
  const range = rules.ranges ? /^(\d+)-(\d+)$/.exec(portText) : null;
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (lo < 1 || hi > 65535 || lo > hi) return `'${kw}' : invalid port range '${portText}'`;
    const list: Address[] = [];
    for (let p = lo; p <= hi; p++) list.push({ kind, host, port: p });
    return list;
  }
  const digits = offset ? portText.slice(1) : portText;
  for (const c of digits) {
    if (c < '0' || c > '9') return `'${kw}' : invalid character '${c}' in port number '${portText}' in '${text}'`;
  }
  const port = Number(digits) * (portText[0] === '-' ? -1 : 1);
  if (!offset && (port < 1 || port > 65535)) return `'${kw}' : invalid port '${portText}'`;
  if (offset && Math.abs(port) > 65535) return `'${kw}' : invalid port offset '${portText}'`;
  return [offset ? { kind, host, port, portOffset: true } : { kind, host, port }];
}
