// A fake HTTP stream for rule tests: a transaction built from a raw request head, the
// proxies of a parsed configuration, and a record of what the actions asked for.
import { parseConfigText } from '../../../src/config/parser.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import type { Config, ProxyConfig } from '../../../src/config/model.ts';
import type { HttpResponse } from '../../../src/protocols/http1/message.ts';
import type { HttpReply, HttpRuleTarget, MutableHttpTxn, RuleTermCause, RuleTermPhase } from '../../../src/actions/http-rule-target.ts';
import { streamErrorReply } from '../../../src/protocols/http1/errors.ts';
import { fakeProxy, fakeStream, rawRequest, rawResponse } from '../sample/helpers.ts';

/** Parses a configuration that must load without alerts; returns it with its proxies by name. */
export function loadConfig(text: string): { config: Config; px: (name: string) => ProxyConfig; diag: Diagnostics } {
  const diag = new Diagnostics();
  const config = parseConfigText('test.cfg', text, diag, {});
  if (diag.alerts > 0) throw new Error(diag.messages.map((m) => m.text).join('\n'));
  return { config, diag, px: (name) => config.proxies.find((p) => p.name === name)! };
}

/** Head and body as written on the wire (names as stored: HAProxy's replies use lower case). */
export function wire(r: HttpReply | { res: HttpResponse; body?: Buffer }): string {
  const res = r.res;
  let out = `${res.version} ${res.status} ${res.reason}\r\n`;
  for (let i = 0; i < res.headers.length; i++) out += `${res.headers.names[i]}: ${res.headers.values[i]}\r\n`;
  return `${out}\r\n${(r.body ?? Buffer.alloc(0)).toString('latin1')}`;
}

export interface FakeTarget extends HttpRuleTarget {
  readonly txn: MutableHttpTxn & { reqBody: Buffer | null; reqBodyFinal: boolean; res: HttpResponse | null };
  logLevel: number | null;
  term: string;
  buffering: boolean[];
}

export interface TargetOptions {
  fe: ProxyConfig;
  be?: ProxyConfig | null;
  res?: string;
  body?: string | null;
  bodyFinal?: boolean;
  srcAddr?: string;
}

export function fakeTarget(rawReq: string, o: TargetOptions): FakeTarget {
  const base = fakeStream({ frontend: fakeProxy(o.fe.name, { mode: 'http' }), ...(o.srcAddr ? { srcAddr: o.srcAddr } : {}) });
  const fe = o.fe;
  const be = o.be ?? null;
  const txn = {
    req: rawRequest(rawReq),
    res: o.res !== undefined ? rawResponse(o.res) : null,
    reqBody: o.body === undefined || o.body === null ? null : Buffer.from(o.body, 'latin1'),
    reqBodyFinal: o.bodyFinal ?? false,
    resBody: null,
    resBodyFinal: false,
    reqCaptures: fe.reqCaptures.map(() => null),
    resCaptures: fe.resCaptures.map(() => null),
  };
  const t: FakeTarget = {
    ...base,
    txn,
    feConfig: fe,
    reply: null,
    yieldUntil: 0,
    yieldRule: 0,
    logLevel: null,
    term: '--',
    buffering: [],
    setLogLevel(level: number) {
      t.logLevel = level;
    },
    setTermination(cause: RuleTermCause, phase: RuleTermPhase) {
      if (t.term === '--') t.term = cause + phase;
    },
    errorReply(status: number) {
      return streamErrorReply(fe, be, status, t);
    },
    bufferBody(response: boolean) {
      t.buffering.push(response);
      if (!response && txn.reqBody === null) txn.reqBody = Buffer.alloc(0);
    },
  };
  return t;
}
