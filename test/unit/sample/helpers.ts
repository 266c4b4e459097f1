// A small fake runtime for the sample engine tests.
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import type { AclDef, AclParseContext, Sample, SampleProxy, SampleServer, SampleStream, SampleWorld } from '../../../src/sample/types.ts';

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
