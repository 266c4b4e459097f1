// A small fake runtime for the sample engine tests.
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import type { AclDef, AclParseContext, Sample, SampleHttpTxn, SampleProxy, SampleServer, SampleStream, SampleWorld } from '../../../src/sample/types.ts';
import { HttpHeaders, HttpRequest, HttpResponse, type HttpVersion } from '../../../src/protocols/http1/message.ts';

export function fakeServer(name: string, over: Partial<SampleServer> = {}): SampleServer {
  return { name, id: 1, isUp: true, curConns: 0, queued: 0, maxconn: 0, maxqueue: 0, ...over };
}

export function fakeProxy(name: string, over: Partial<Omit<SampleProxy, 'server'>> = {}): SampleProxy {
  const servers = over.servers ?? [];
  return {
    name, id: 1, mode: 'tcp', feConn: 0, beConn: 0, queued: 0, ...over, servers,
    server: (n: string) => servers.find((s) => s.name === n),
  };
}

export interface FakeStreamOptions extends Partial<Omit<SampleStream, 'world'>> {
  proxies?: SampleProxy[];
  env?: Record<string, string>;
  bufsize?: number;
}

export function fakeStream(o: FakeStreamOptions = {}): SampleStream {
  const fe = o.frontend ?? fakeProxy('fe');
  const proxies = [fe, ...(o.proxies ?? [])];
  const vars = new Map<string, Map<string, Sample>>();
  const world: SampleWorld = {
    proxy: (n) => proxies.find((p) => p.name === n),
    env: (n) => o.env?.[n],
    ...(o.bufsize !== undefined ? { bufsize: o.bufsize } : {}),
  };
  return {
    world,
    srcAddr: '10.1.2.3', srcPort: 40000, dstAddr: '192.168.0.1', dstPort: 80, family: 'ipv4',
    backend: null, server: null, rcvdProxy: false, reqData: null, reqDataFinal: true, txn: null,
    vars: (scope) => {
      let m = vars.get(scope);
      if (!m) vars.set(scope, (m = new Map()));
      return m;
    },
    ...o,
    frontend: fe,
  };
}

export function aclCtx(acls: Map<string, AclDef> = new Map(), over: Partial<AclParseContext> = {}): AclParseContext & { diag: Diagnostics } {
  return { loc: { file: 'test.cfg', line: 1 }, diag: new Diagnostics(), acls, baseDir: process.cwd(), ...over } as AclParseContext & { diag: Diagnostics };
}

/** Parses a raw HTTP/1 request or response head (test input only: no validation). */
function parseHead(raw: string): { start: string[]; headers: HttpHeaders } {
  const lines = raw.split('\r\n');
  const start = lines[0]!.split(' ');
  const headers = new HttpHeaders();
  for (const l of lines.slice(1)) {
    if (l === '') break;
    const c = l.indexOf(':');
    headers.add(l.slice(0, c), l.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return { start, headers };
}

export function rawRequest(raw: string): HttpRequest {
  const { start, headers } = parseHead(raw);
  return new HttpRequest(start[0]!, start[1]!, start[2] as HttpVersion, headers);
}

export function rawResponse(raw: string): HttpResponse {
  const { start, headers } = parseHead(raw);
  return new HttpResponse(start[0] as HttpVersion, Number(start[1]), start.slice(2).join(' '), headers);
}

export interface FakeTxnOptions {
  res?: string;
  body?: string;
  bodyFinal?: boolean;
  reqCaptures?: (string | null)[];
  resCaptures?: (string | null)[];
  reqLine?: string;
  firstReq?: boolean;
}

/** A fake stream in an HTTP transaction built from a raw request head (and response head). */
export function httpStream(rawReq: string, t: FakeTxnOptions = {}, o: FakeStreamOptions = {}): SampleStream {
  const txn: SampleHttpTxn = {
    req: rawRequest(rawReq),
    res: t.res !== undefined ? rawResponse(t.res) : null,
    reqBody: t.body !== undefined ? Buffer.from(t.body, 'latin1') : null,
    reqBodyFinal: t.bodyFinal ?? true,
    reqCaptures: t.reqCaptures ?? [],
    resCaptures: t.resCaptures ?? [],
    ...(t.reqLine !== undefined ? { reqLine: t.reqLine } : {}),
    ...(t.firstReq !== undefined ? { firstReq: t.firstReq } : {}),
  };
  return fakeStream({ ...o, txn });
}
