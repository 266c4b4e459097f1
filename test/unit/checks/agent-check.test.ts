import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { AgentCheck, applyAgentReply, parseAgentMaxconn, parseAgentReply, type AgentEffects } from '../../../src/checks/agent-check.ts';

/** Records what a reply asks, in order. */
function recorder(weightWarning: string | null = null): { fx: AgentEffects; log: string[] } {
  const log: string[] = [];
  return {
    log,
    fx: {
      admin: (s) => { log.push(`admin ${s}`); },
      weight: (w) => { log.push(`weight ${w}`); return weightWarning; },
      maxconn: (n) => { log.push(`maxconn ${n}`); },
      health: (up, status, info) => { log.push(`health ${up ? 'up' : 'down'} ${status} ${info}`); },
    },
  };
}

test('agent replies: words in any order, the last of a category wins, separators', () => {
  assert.deepEqual(parseAgentReply('75% up'), { health: 'up', admin: null, weight: '75%', maxconn: null, error: null, description: '' });
  assert.deepEqual(parseAgentReply('drain,50%\tmaxconn:30 ready'), { health: null, admin: 'ready', weight: '50%', maxconn: '30', error: null, description: '' });
  assert.deepEqual(parseAgentReply('down # planned maintenance'), { health: 'down', admin: null, weight: null, maxconn: null, error: null, description: 'planned maintenance' });
  // "down#x" is one unknown word: no health change at all
  assert.equal(parseAgentReply('down#maintenance planned').health, null);
  assert.equal(parseAgentReply('down#maintenance planned').error, 'down#maintenance');
  assert.deepEqual(parseAgentReply('UP, bogus, more'), { health: 'UP', admin: null, weight: null, maxconn: null, error: 'bogus', description: '' });
});

// What HAProxy 2.6.12 did with each reply (recorded from an agent answering one line per check).
test('applying replies: order and the "via agent" infos', () => {
  const run = (line: string, warn: string | null = null) => {
    const r = recorder(warn);
    const st = applyAgentReply(line, r.fx, 3);
    return { log: r.log, st };
  };
  assert.deepEqual(run('50%'), { log: ['weight 50%'], st: null });
  assert.deepEqual(run('drain'), { log: ['admin drain'], st: null });
  assert.deepEqual(run('fail'), { log: ['health down L7STS via agent : fail'], st: { status: 'L7STS', info: 'via agent : fail' } });
  assert.deepEqual(run('up').st, { status: 'L7OK', info: 'via agent : up' });
  assert.deepEqual(run('up, bogus').st, { status: 'L7OK', info: 'via agent : up (bogus)' });
  assert.deepEqual(run('stopped # x y').st, { status: 'L7STS', info: 'via agent : stopped (x y)' });
  // down keeps its description over the error; up prefers the error, then a warning
  assert.deepEqual(run('down oops # why').st, { status: 'L7STS', info: 'via agent : down (why)' });
  assert.deepEqual(run('up oops # why').st, { status: 'L7OK', info: 'via agent : up (oops)' });
  assert.deepEqual(run('up 10%', 'Backend is using a static LB algorithm').st, { status: 'L7OK', info: 'via agent : up (Backend is using a static LB algorithm)' });
  assert.deepEqual(run('maint 75% maxconn:10 down').log, ['admin maint', 'weight 75%', 'maxconn 10', 'health down L7STS via agent : down']);
  assert.deepEqual(run('bogus word'), { log: [], st: null });
  assert.deepEqual(run('maxconn:x').log, []);
});

test('maxconn values as server_parse_maxconn_change_request()', () => {
  assert.equal(parseAgentMaxconn('30'), 30);
  assert.equal(parseAgentMaxconn(''), 'Require <maxconn>.\n');
  assert.equal(parseAgentMaxconn('x'), 'maxconn string empty or preceded by garbage');
  assert.equal(parseAgentMaxconn('3x'), 'Trailing garbage in maxconn string');
});

test('the agent check connects, sends agent-send, reads one line per check and ignores failures', async () => {
  const replies = ['50%\r\n', 'partial', 'drain\nignored second line\n'];
  const received: string[] = [];
  let n = 0;
  const srv = net.createServer((c) => {
    const reply = replies[n++] ?? 'ready\n';
    c.once('data', (d) => {
      received.push(d.toString());
      c.end(reply);
    });
    c.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const r = recorder();
  const agent = new AgentCheck({
    target: () => ({ host: '127.0.0.1', port }), inter: 40, timeoutConnect: null, timeoutCheck: null, send: 'hello\n', source: null, bufsize: 16384, effects: r.fx,
  });
  agent.start(0);
  const deadline = Date.now() + 3000;
  while (r.log.length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  agent.stop();
  srv.close();
  assert.deepEqual(r.log.slice(0, 3), ['weight 50%', 'admin drain', 'admin ready']);
  assert.equal(received[0], 'hello\n');
  // an unreachable agent changes nothing
  const dead = recorder();
  const a2 = new AgentCheck({
    target: () => ({ host: '127.0.0.1', port }), inter: 20, timeoutConnect: null, timeoutCheck: null, send: null, source: null, bufsize: 16384, effects: dead.fx,
  });
  a2.start(0);
  await new Promise((res) => setTimeout(res, 100));
  a2.stop();
  assert.deepEqual(dead.log, []);
});
