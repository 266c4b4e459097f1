// "option tcp-check" and the "tcp-check" rules (configuration.txt 4.2, src/tcpcheck.c):
// connect, send, send-binary, expect and comment. Rules are parsed and compiled once at
// load; the runtime gets the final ruleset of a backend with getTcpCheckRules().
//
// Rulesets follow HAProxy's ownership: each section's "tcp-check" lines build its own
// ruleset, and "option tcp-check" selects it (possibly empty: a plain connect). A proxy
// created from a defaults section with "option tcp-check" inherits that section's ruleset
// and keeps it until its own first "tcp-check" line, which starts a new, separate ruleset.
// Rules of a defaults section without the option are not inherited.
import { isIPv4, isIPv6 } from 'node:net';
import { BE, registerProxyKeywords, registerProxyOptions } from '../config/registry.ts';
import type { ProxyConfig, ServerConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import { parseAddress } from '../config/address.ts';
import type { CheckStatus } from './health.ts';
import { RulesetStore, defaultExpectOptions, finalizeRules, parseExpectOption, type CommentRule } from './ruleset.ts';

interface RuleBase {
  /** Position in the ruleset as written, comments included (HAProxy's rule->index). */
  readonly index: number;
  /** The rule's own comment, or the one of "tcp-check comment" lines just before it. */
  comment: string | null;
}

export interface TcpCheckConnectRule extends RuleBase {
  readonly kind: 'connect';
  /** Destination port; null: from addr, the server's check port or the server port. */
  readonly port: number | null;
  /** Destination address (and its port, 0 when none); null: the server's check address. */
  readonly addr: { readonly host: string; readonly port: number } | null;
  readonly sendProxy: boolean;
  /** Close with a FIN instead of a reset. */
  readonly linger: boolean;
  /** "default": use the server's check settings (check-send-proxy...). */
  readonly useDefault: boolean;
  /** Inserted because the ruleset did not start with a connect (reported as step 0). */
  readonly implicit: boolean;
}

export interface TcpCheckSendRule extends RuleBase {
  readonly kind: 'send';
  readonly binary: boolean;
  readonly data: Buffer;
}

export type TcpCheckExpectType = 'string' | 'rstring' | 'binary' | 'rbinary';

export interface TcpCheckExpectRule extends RuleBase {
  readonly kind: 'expect';
  readonly type: TcpCheckExpectType;
  /** The pattern as written (hexadecimal for binary). */
  readonly pattern: string;
  /** Bytes to find (string and binary). */
  readonly data: Buffer | null;
  /** Compiled once at load (rstring, rbinary); matched against latin1 text or upper-case hex. */
  readonly regex: RegExp | null;
  readonly inverse: boolean;
  /** -1 unless "min-recv" was given. */
  readonly minRecv: number;
  readonly okStatus: CheckStatus | null;
  readonly errorStatus: CheckStatus | null;
  readonly toutStatus: CheckStatus | null;
  /** Literal info texts for success and failure ("on-success", "on-error"). */
  readonly onSuccess: string | null;
  readonly onError: string | null;
  /** Position, in the final rule list, of the first negated expect of the chain this rule belongs to (or its own). */
  head: number;
}

export type TcpCheckRule = TcpCheckConnectRule | TcpCheckSendRule | TcpCheckExpectRule;

type RawRule = TcpCheckRule | CommentRule;

const states = new RulesetStore<RawRule>();
const compiled = new WeakMap<RawRule[], { length: number; rules: TcpCheckRule[] }>();

/** Runs `f` the first time a tcp-check keyword is parsed (see RulesetStore.onFirstUse()). */
export function onFirstTcpCheckUse(f: () => void): void {
  states.onFirstUse(f);
}

/**
 * What a proxy created from the defaults section `from` gets: its active ruleset, when
 * "option tcp-check" was enabled there. Idempotent.
 */
export function inheritTcpChecks(from: ProxyConfig, to: ProxyConfig): void {
  states.inherit(from, to);
}

/** Whether "option tcp-check" is on for this proxy. */
export function tcpCheckEnabled(px: ProxyConfig): boolean {
  return px.option('tcp-check');
}

/**
 * The final ruleset of a proxy with "option tcp-check": an implicit connect first when the
 * rules do not start with one, comments folded into the rules that follow them, expect
 * chains resolved. Null when "option tcp-check" is off (plain connect checks).
 */
export function getTcpCheckRules(px: ProxyConfig): TcpCheckRule[] | null {
  if (!tcpCheckEnabled(px)) return null;
  const st = states.get(px);
  const list = st?.list ?? st?.own ?? EMPTY;
  const cached = compiled.get(list);
  if (cached && cached.length === list.length) return cached.rules;
  const rules = finalizeRules(list, (r): r is TcpCheckExpectRule => r.kind === 'expect');
  compiled.set(list, { length: list.length, rules });
  return rules;
}

const EMPTY: RawRule[] = [];

/**
 * Post-parse checks: the warning for rules written without "option tcp-check"
 * (check_config_validity()).
 */
export function validateTcpChecks(px: ProxyConfig, diag: Diagnostics): void {
  states.warnUnused(px, diag, tcpCheckEnabled(px), 'tcp-check', 'option tcp-check');
}

/**
 * The port error HAProxy reports for a checked server (init_srv_check()), or null. A server
 * needs a service port, a check port, or a ruleset starting with a tcp-check connect rule
 * giving a port, every other connect rule giving one too.
 */
export function serverCheckPortError(px: ProxyConfig, srv: ServerConfig): string | null {
  if (!srv.check.enabled || !srv.addr) return null;
  const a = srv.addr;
  if (a.kind !== 'ipv4' && a.kind !== 'ipv6' && a.kind !== 'fqdn') return null;
  if (srv.check.port !== null && srv.check.port > 0) return null;
  if (a.port > 0 && !a.portOffset) return null;
  const where = `config: ${px.kind === 'listen' ? 'proxy' : px.kind} '${px.name}': server '${srv.name}' has neither service port nor check port`;
  const hasPort = (r: TcpCheckConnectRule): boolean => r.port !== null || (r.addr !== null && r.addr.port > 0);
  let raw: readonly RawRule[] | null = null;
  if (tcpCheckEnabled(px)) {
    const st = states.get(px);
    raw = st?.list ?? st?.own ?? EMPTY;
    if (raw.length === 0) return `${where}.`;
  }
  // Plain checks run an implicit connect rule, which gives no port.
  const first = raw?.find((r) => r.kind !== 'comment');
  if (!first || first.kind !== 'connect' || !hasPort(first)) return `${where} nor tcp_check rule 'connect' with port information.`;
  if (raw!.some((r) => r.kind === 'connect' && !hasPort(r))) return `${where}, and a tcp_check rule 'connect' with no port information.`;
  return null;
}

// ---------------------------------------------------------------------------------------
// Parsing

/** Parses one "tcp-check ..." line (words[0] === 'tcp-check'); returns a rule or an error text. */
function parseRule(words: readonly string[], rules: readonly RawRule[], index: number): RawRule | string {
  const sub = words[1] ?? '';
  const wrap = (e: string): string => `'${words[0]} ${sub}' : ${e}.`;
  let r: RawRule | string;
  switch (sub) {
    case 'connect': r = parseConnect(words, rules, index); break;
    case 'send':
    case 'send-binary': r = parseSend(words, index); break;
    case 'expect': r = parseExpect(words, index); break;
    case 'comment':
      if (!words[2]) r = 'expects a string as argument';
      else r = { kind: 'comment', index, comment: words[2] };
      break;
    case 'send-lf':
    case 'send-binary-lf':
      return `'${words[0]} ${sub}' is not supported by Turnpike yet (log-format strings in tcp-check rules).`;
    case 'set-var':
    case 'set-var-fmt':
    case 'unset-var':
      return `'${words[0]} ${sub}' is not supported by Turnpike yet (variables in tcp-check rules).`;
    default:
      if (/^(set-var|set-var-fmt|unset-var)\(/.test(sub)) {
        return `'${words[0]} ${sub.slice(0, sub.indexOf('('))}' is not supported by Turnpike yet (variables in tcp-check rules).`;
      }
      return `'${words[0]}' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '${sub}'`;
  }
  return typeof r === 'string' ? wrap(r) : r;
}

/** A "connect" rule (tcp-check and http-check); `rules` are those already in the ruleset. */
export function parseConnect(words: readonly string[], rules: readonly { readonly kind: string }[], index: number): TcpCheckConnectRule | string {
  for (const r of rules) {
    if (r.kind === 'connect') break;
    if (r.kind === 'comment') continue;
    return "first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset";
  }
  let port: number | null = null;
  let addr: { host: string; port: number } | null = null;
  let comment: string | null = null;
  let sendProxy = false;
  let linger = false;
  let useDefault = false;
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    const v = words[i + 1];
    switch (w) {
      case 'default': useDefault = true; break;
      case 'send-proxy': sendProxy = true; break;
      case 'linger': linger = true; break;
      case 'comment':
        if (!v) return `'${w}' expects a string as argument.`;
        comment = v;
        i++;
        break;
      case 'port': {
        if (!v) return `'${w}' expects a port number or a sample expression as argument.`;
        i++;
        if (!/^\d+$/.test(v)) return `'${w}' : sample expressions are not supported by Turnpike yet (got '${v}')`;
        const n = Number(v);
        if (n < 1 || n > 65535) return `expects a valid TCP port (from range 1 to 65535) or a sample expression, got ${v}.`;
        port = n;
        break;
      }
      case 'addr': {
        if (!v) return `'${w}' expects <ipv4|ipv6> as argument.`;
        i++;
        const a = parseAddress(v, { port: 'optional', ranges: false, offsets: false, fqdn: false, keyword: w });
        if (typeof a === 'string') return `${a}.`;
        const one = a[0]!;
        if (one.kind !== 'ipv4' && one.kind !== 'ipv6') return `'${w}' : expects an IPv4 or IPv6 address, got '${v}'.`;
        addr = { host: one.host, port: one.port };
        break;
      }
      case 'ssl':
      case 'sni':
      case 'alpn':
      case 'via-socks4':
      case 'proto':
        return `'${w}' is not supported by Turnpike yet on tcp-check connect rules`;
      default:
        return `expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '${w}' as argument.`;
    }
  }
  return { kind: 'connect', index, comment, port, addr, sendProxy, linger, useDefault, implicit: false };
}

function parseSend(words: readonly string[], index: number): TcpCheckSendRule | string {
  const sub = words[1]!;
  const binary = sub === 'send-binary';
  const data = words[2];
  // (sic) HAProxy's message has its two arguments swapped.
  if (!data) return `'${binary ? 'binary string' : 'string'}' expects a ${sub} as argument`;
  let comment: string | null = null;
  for (let i = 3; i < words.length; i++) {
    if (words[i] === 'comment') {
      if (!words[i + 1]) return `'comment' expects a string as argument.`;
      comment = words[++i]!;
    } else {
      return `expects 'comment' but got '${words[i]}' as argument.`;
    }
  }
  let bytes: Buffer;
  if (binary) {
    const b = parseBinary(data);
    if (typeof b === 'string') return `'${data}' invalid binary string (${b})`;
    bytes = b;
  } else {
    bytes = Buffer.from(data, 'utf8');
  }
  return { kind: 'send', index, comment, binary, data: bytes };
}

/** parse_binary(): an even number of hexadecimal digits. */
export function parseBinary(text: string): Buffer | string {
  if (text.length % 2) return 'an even number of hex digit is expected';
  for (let i = 0; i < text.length; i++) {
    if (!/[0-9A-Fa-f]/.test(text[i]!)) {
      // HAProxy reads digits by pairs and reports the second of a bad pair when both are bad.
      const pair = i - (i % 2);
      const bad = /[0-9A-Fa-f]/.test(text[pair]!) ? text[pair + 1]! : text[pair]!;
      return `an hex digit is expected (found '${bad}')`;
    }
  }
  return Buffer.from(text, 'hex');
}

function parseExpect(words: readonly string[], index: number): TcpCheckExpectRule | string {
  if (!words[2]) return 'expects at least a matching pattern as arguments';
  let type: TcpCheckExpectType | null = null;
  let pattern = '';
  let inverse = false;
  const opts = defaultExpectOptions();
  const args = [...words];
  for (let i = 2; i < args.length; i++) {
    let inPattern = false;
    let w = args[i]!;
    if (w.startsWith('!')) {
      inPattern = true;
      while (w.startsWith('!')) {
        inverse = !inverse;
        w = w.slice(1);
      }
      if (w === '') {
        i++;
        w = args[i] ?? '';
      }
    }
    const value = args[i + 1] ?? '';
    switch (w) {
      case 'string':
      case 'rstring':
      case 'binary':
      case 'rbinary': {
        if (type !== null) return 'only on pattern expected';
        type = w;
        if (!value) return `'${w}' expects a <pattern> as argument`;
        pattern = value;
        i++;
        break;
      }
      case 'string-lf':
      case 'binary-lf':
        return `'${w}' is not supported by Turnpike yet (log-format patterns in tcp-check rules)`;
      case 'status-code':
        return `'${w}' is not supported by Turnpike yet (sample expressions in tcp-check rules)`;
      case 'custom':
        return `'${w}' is not supported by Turnpike yet`;
      default: {
        const o = parseExpectOption(w, value, inPattern, opts);
        if (typeof o === 'string') return o;
        if (o) {
          i++;
          break;
        }
        return `'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '${w}' as argument.`;
      }
    }
  }
  if (type === null) return 'pattern not found';
  let data: Buffer | null = null;
  let regex: RegExp | null = null;
  if (type === 'string') data = Buffer.from(pattern, 'utf8');
  else if (type === 'binary') {
    const b = parseBinary(pattern);
    if (typeof b === 'string') return `invalid binary string (${b})`;
    data = b;
  } else {
    const re = compileLinearRegex(pattern);
    if (typeof re === 'string') return re;
    regex = re;
  }
  return {
    kind: 'expect', index, ...opts, type, pattern, data, regex, inverse, head: -1,
  };
}

let linearEngine: boolean | null = null;

function linearEngineAvailable(): boolean {
  if (linearEngine === null) {
    try {
      new RegExp('a', 'l');
      linearEngine = true;
    } catch {
      linearEngine = false;
    }
  }
  return linearEngine;
}

/**
 * Compiles a tcp-check regex once, with V8's linear-time engine (the 'l' flag, available when
 * Node runs with --enable-experimental-regexp-engine): the subject comes from the checked
 * server, so a backtracking engine could be stalled. Patterns the linear engine cannot run
 * (backreferences, lookarounds) are refused. Matching is done on bytes: the pattern's UTF-8
 * bytes are matched against the response read as latin1.
 */
export function compileLinearRegex(pattern: string): RegExp | string {
  if (!linearEngineAvailable()) {
    return `regex '${pattern}' cannot be compiled: the linear-time regex engine is unavailable (Node must run with --enable-experimental-regexp-engine)`;
  }
  try {
    return new RegExp(Buffer.from(pattern, 'utf8').toString('latin1'), 'l');
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes('linear time')) {
      return `regex '${pattern}' is not supported: it cannot be matched in linear time (backreferences and lookaround assertions are refused)`;
    }
    return `regex '${pattern}' is invalid (error=${msg.replace(/^Invalid regular expression: \/.*\/\w*: /s, '')})`;
  }
}

// ---------------------------------------------------------------------------------------
// Keywords

registerProxyKeywords({
  name: 'tcp-check',
  sections: BE,
  parse(px, args) {
    const st = states.stateOf(px);
    const own = st.own ?? [];
    const last = own[own.length - 1];
    const index = last ? last.index + 1 : 0;
    const r = parseRule(args, own, index);
    if (typeof r === 'string') return r;
    own.push(r);
    st.own = own;
    if (tcpCheckEnabled(px)) {
      st.list = own;
      st.unused = false;
    } else {
      st.unused = true;
    }
  },
});

registerProxyOptions({
  name: 'tcp-check',
  sections: BE,
  parse(px, args, ctx) {
    if (ctx.negated || ctx.defaulted) return `negation/default is not supported for option 'tcp-check'.`;
    if (args.length > 2) return `'option tcp-check' cannot handle unexpected argument '${args[2]}'.`;
    const st = states.stateOf(px);
    // One health check type at a time: this replaces "option httpchk".
    px.options.delete('httpchk');
    px.options.set('tcp-check', true);
    // Keep an active ruleset (inherited from defaults having the option, or set before);
    // otherwise use this section's own rules, possibly none yet. The rules of a defaults
    // section without the option are not used (checked against HAProxy 2.6).
    if (st.list) return;
    st.own ??= [];
    st.list = st.own;
    st.unused = false;
  },
});

/** Whether an address string is an IP literal (used by the runtime for 'addr' on connect rules). */
export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}
