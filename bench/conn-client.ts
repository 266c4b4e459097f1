// A client process of the scale benchmark: opens `--count` keep-alive connections to
// `--port` from source address `--local`, at most `--concurrency` being set up at a time;
// on each it sends one GET, reads the whole response, then leaves the connection open and idle.
// Several of these run side by side (each process has its own open-files limit; each source
// address its own ephemeral ports). Reports JSON lines on stdout: progress every 500 ms, then
// {"ready":true,...} once every connection is answered or failed; exits on SIGTERM.
//
//   node bench/conn-client.ts --port P --local 127.0.0.2 --count 4500 [--concurrency 200] [--path /]

import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    local: { type: 'string', default: '127.0.0.1' },
    count: { type: 'string' },
    concurrency: { type: 'string', default: '200' },
    path: { type: 'string', default: '/' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(port) || !Number.isInteger(count) || !Number.isInteger(concurrency) || count < 0 || concurrency < 1) {
  process.stderr.write('usage: node bench/conn-client.ts --port P --count N [--local ADDR] [--concurrency C] [--path /]\n');
  process.exit(2);
}
const request = Buffer.from(`GET ${values.path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: turnpike-bench\r\n\r\n`);

const stats = { answered: 0, failed: 0, closedAfterAnswer: 0, non200: 0, firstError: '' };
let started = 0;
let inFlight = 0;
const sockets: net.Socket[] = [];

function headEnd(buf: Buffer): number {
  return buf.indexOf('\r\n\r\n');
}

function open(): void {
  started++;
  inFlight++;
  let buf = Buffer.alloc(0);
  let answered = false;
  let ok = false;
  const sock = net.connect({ port, host: values.host, localAddress: values.local });
  sockets.push(sock);
  const settle = (success: boolean, why?: string): void => {
    if (answered) return;
    answered = true;
    ok = success;
    inFlight--;
    if (ok) stats.answered++;
    else {
      stats.failed++;
      if (!stats.firstError && why) stats.firstError = why;
      sock.destroy();
    }
    buf = Buffer.alloc(0);
    pump();
  };
  sock.setNoDelay(true);
  sock.on('connect', () => sock.write(request));
  sock.on('data', (chunk: Buffer) => {
    if (answered) return;
    buf = Buffer.concat([buf, chunk]);
    const end = headEnd(buf);
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(len)) return settle(false, `response without content-length: ${head.split('\r\n')[0]}`);
    if (buf.length < end + 4 + len) return;
    if (!head.startsWith('HTTP/1.1 200')) stats.non200++;
    settle(true);
  });
  sock.on('error', (e: NodeJS.ErrnoException) => settle(false, `${e.code ?? e.message}`));
  sock.on('close', () => {
    if (!answered) settle(false, 'closed before the response');
    else if (ok) stats.closedAfterAnswer++;
  });
}

let done = false;
function pump(): void {
  while (inFlight < concurrency && started < count) open();
  if (!done && stats.answered + stats.failed === count) {
    done = true;
    report(true);
  }
}

function report(ready: boolean): void {
  process.stdout.write(`${JSON.stringify({ ready, started, ...stats })}\n`);
}

const progress = setInterval(() => report(done), 500);
process.on('SIGTERM', () => {
  clearInterval(progress);
  for (const s of sockets) s.destroy();
  process.exit(0);
});
pump();
