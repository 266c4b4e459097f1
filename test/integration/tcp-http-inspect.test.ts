// One TCP port shared by HTTP and another protocol: tcp-request content rules in a mode tcp
// frontend read the buffered request as HTTP (the HTTP ACL, path_beg...), waiting up to
// inspect-delay for a complete head. Also runs against HAProxy (TURNPIKE_BIN=/usr/sbin/haproxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { tempDir, withProxy, freePort, replyServer, exchange, DEFAULTS } from './harness.ts';

/** Sends `parts` 300 ms apart without closing, returns what came back until the server closed. */
function slowExchange(port: number, parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => { s.destroy(); reject(new Error('timeout')); }, 5000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => { clearTimeout(t); resolve(out); });
    s.on('error', reject);
    parts.forEach((p, i) => setTimeout(() => s.write(p), i * 300));
  });
}

test('a mode tcp frontend routes HTTP by path and other protocols elsewhere', async () => {
  const dir = tempDir();
  const api = await replyServer(() => 'api\n');
  const web = await replyServer(() => 'web\n');
  const other = await replyServer(() => 'other\n');
  const port = await freePort();
  const cfg = `${DEFAULTS}frontend mux
  bind 127.0.0.1:${port}
  tcp-request inspect-delay 2s
  tcp-request content accept if HTTP
  tcp-request content accept if { req.len gt 0 }
  use_backend api if HTTP { path_beg /api }
  use_backend web if HTTP
  default_backend other
backend api
  server s 127.0.0.1:${api.port}
backend web
  server s 127.0.0.1:${web.port}
backend other
  server s 127.0.0.1:${other.port}
`;
  try {
    await withProxy(dir.path, cfg, [port], async () => {
      assert.equal(await exchange(port, 'GET /api/v1 HTTP/1.1\r\nhost: x\r\n\r\n'), 'api\n');
      assert.equal(await exchange(port, 'GET /index.html HTTP/1.1\r\nhost: x\r\n\r\n'), 'web\n');
      assert.equal(await exchange(port, 'SSH-2.0-OpenSSH_9.2\r\n'), 'other\n');
      // A head split over two writes: the rules wait for the rest instead of deciding on half a request.
      assert.equal(await slowExchange(port, ['GET /api/x HT', 'TP/1.1\r\nhost: x\r\n\r\n']), 'api\n');
    });
  } finally {
    await Promise.all([api.close(), web.close(), other.close()]);
    dir.cleanup();
  }
});
