// A stream with a log record, in UTC, for rendering tests.
import { ProxyConfig, defaultServerConfig } from '../../../src/config/model.ts';
import { ProxyCounters, processCounters } from '../../../src/observe/counters.ts';
import { StreamLog, type Loggable } from '../../../src/observe/log/loggable.ts';
import type { Sample, SampleHttpTxn, SampleProxy, SampleServer } from '../../../src/sample/types.ts';

process.env.TZ = 'UTC';

/** 06/Feb/2009:12:14:14.655 UTC, the date of configuration.txt's examples. */
export const ACCEPT = Date.UTC(2009, 1, 6, 12, 14, 14, 655);

function proxy(name: string, feConn: number, beConn: number, mode: 'tcp' | 'http'): SampleProxy {
  return { name, id: 1, mode, feConn, beConn, queued: 0, servers: [], server: () => undefined };
}

export interface FakeOptions {
  readonly reqCaptures?: (string | null)[];
  readonly resCaptures?: (string | null)[];
  readonly mode?: 'tcp' | 'http';
}

export function fakeStream(o: FakeOptions = {}): Loggable & { logs: StreamLog } {
  processCounters.curConns = 3;
  const mode = o.mode ?? 'tcp';
  const cfg = new ProxyConfig('fe', 'frontend', { file: 't.cfg', line: 1 }, defaultServerConfig({ file: 't.cfg', line: 1 }));
  cfg.mode = mode;
  const counters = new ProxyCounters();
  counters.logCount = 4;
  const server: SampleServer = { name: 'srv1', id: 1, isUp: true, curConns: 1, queued: 0, maxconn: 0, maxqueue: 0 };
  const logs = new StreamLog(ACCEPT, 0);
  logs.requestId = 7;
  logs.tQueue = 0;
  logs.tConnect = 5;
  logs.tClose = 9;
  logs.bytesIn = 3;
  logs.bytesOut = 9;
  logs.server = server;
  logs.srvAddr = '10.0.4.1';
  logs.srvPort = 80;
  logs.connAddr = '10.0.3.31';
  logs.connPort = 40000;
  const txn = o.reqCaptures
    ? ({ reqCaptures: o.reqCaptures, resCaptures: o.resCaptures ?? [] } as unknown as SampleHttpTxn)
    : null;
  const vars = new Map<string, Sample>();
  return {
    world: { proxy: () => undefined, env: () => undefined },
    srcAddr: '10.0.1.2', srcPort: 33312, dstAddr: '10.0.3.31', dstPort: 8012, family: 'ipv4',
    frontend: Object.assign(proxy('fe', 2, 0, mode), { cfg, counters }),
    backend: proxy('be', 0, 1, mode),
    server,
    rcvdProxy: false, reqData: null, reqDataFinal: true, txn,
    vars: () => vars,
    logs,
  };
}
