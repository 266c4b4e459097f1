// "bind" and its options (configuration.txt 5.1).
import { FE_ONLY, registerProxyKeywords } from '../config/registry.ts';
import type { BindConfig } from '../config/model.ts';
import { parseAddress } from '../config/address.ts';
import { parseUint } from '../config/units.ts';
import { unknownBindOptionMessage } from '../config/unsupported.ts';
import { parseTlsBindOption } from '../protocols/tls/bind-options.ts';
import { execFileSync } from 'node:child_process';

type BindOptionParser = (b: BindConfig, value: string) => string | void;

/** Options Turnpike implements: name → parser (null value parser = flag without argument). */
const BIND_OPTIONS: ReadonlyMap<string, BindOptionParser | null> = new Map<string, BindOptionParser | null>([
  ['name', (b, v) => { b.name = v; }],
  ['id', (b, v) => {
    const n = parseUint(v, "'id'");
    if (typeof n === 'string' || n < 1) return `'id' : custom id has to be > 0.`;
    b.id = n;
  }],
  ['maxconn', (b, v) => {
    const n = parseUint(v, "'maxconn'");
    if (typeof n === 'string') return n;
    b.maxconn = n;
  }],
  ['backlog', (b, v) => {
    const n = parseUint(v, "'backlog'");
    if (typeof n === 'string') return n;
    b.backlog = n;
  }],
  ['mode', (b, v) => {
    if (!/^[0-7]{1,4}$/.test(v)) return `'mode' : '${v}' is not a valid octal permission mode.`;
    b.unixMode = parseInt(v, 8);
  }],
  ['uid', (b, v) => {
    const n = parseUint(v, "'uid'");
    if (typeof n === 'string') return n;
    b.unixUid = n;
  }],
  ['gid', (b, v) => {
    const n = parseUint(v, "'gid'");
    if (typeof n === 'string') return n;
    b.unixGid = n;
  }],
  ['user', (b, v) => {
    const id = getentId('passwd', v);
    if (id === null) return `'user' : unknown user name '${v}'.`;
    b.unixUid = id;
  }],
  ['group', (b, v) => {
    const id = getentId('group', v);
    if (id === null) return `'group' : unknown group name '${v}'.`;
    b.unixGid = id;
  }],
  ['v4v6', null],
  ['v6only', null],
  ['accept-proxy', null],
]);

function getentId(db: 'passwd' | 'group', name: string): number | null {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const id = Number(execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[2]);
    return Number.isInteger(id) ? id : null;
  } catch {
    return null;
  }
}

registerProxyKeywords({
  name: 'bind',
  sections: FE_ONLY,
  capStrict: false,
  parse(px, args, ctx) {
    const text = args[1];
    if (!text) return `'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`;
    const addrs = parseAddress(text, { port: 'required', ranges: true, offsets: false, fqdn: true, keyword: 'bind' });
    if (typeof addrs === 'string') return addrs;
    const proto: BindConfig = {
      loc: ctx.loc, text, addr: addrs[0]!, name: null, id: null, maxconn: 0, backlog: 0, v4v6: false, v6only: false,
      acceptProxy: false, unixMode: null, unixUid: null, unixGid: null, tls: null, proto: null,
    };
    for (let i = 2; i < args.length; i++) {
      const opt = args[i]!;
      const tlsEnd = parseTlsBindOption(proto, args, i, ctx);
      if (typeof tlsEnd === 'string') return `'bind ${text}' in section '${px.kind}' : ${tlsEnd}`;
      if (tlsEnd !== null) {
        i = tlsEnd;
        continue;
      }
      if (opt === 'proto') {
        const mux = args[++i];
        if (mux === undefined) return `'bind ${text}' in section '${px.kind}' : 'proto' : missing value.`;
        if (mux !== 'h1' && mux !== 'h2' && mux !== 'fcgi') return `'bind ${text}' in section '${px.kind}' : 'proto' :  unknown MUX protocol '${mux}'`;
        // fcgi exists, but only towards servers: refused with the mode check (validate.ts).
        proto.proto = mux;
        continue;
      }
      if (!BIND_OPTIONS.has(opt)) return unknownBindOptionMessage(`bind ${text}`, px.kind, opt);
      const parser = BIND_OPTIONS.get(opt);
      if (parser === null) {
        if (opt === 'v4v6') proto.v4v6 = true;
        else if (opt === 'v6only') proto.v6only = true;
        else if (opt === 'accept-proxy') proto.acceptProxy = true;
        continue;
      }
      const value = args[++i];
      if (value === undefined) return `'bind ${text}' : missing value for option '${opt}'.`;
      const err = parser!(proto, value);
      if (err) return `'bind ${text}' : ${err}`;
    }
    if (proto.id !== null && addrs.length > 1) return `'bind ${text}' : 'id' can only be set on a single address.`;
    for (const addr of addrs) px.binds.push({ ...proto, addr });
  },
});
