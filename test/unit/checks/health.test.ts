import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HealthState, asciiEncode, checkStatusDescription, formatCheckReason, formatHealth, formatHealthCheckLog, type CheckStatus,
} from '../../../src/checks/health.ts';

function feed(h: HealthState, seq: string): (boolean | null)[] {
  // '+' passed check, '-' failed check; returns the transitions (true = up, false = down, null = none).
  return [...seq].map((c) => {
    const { transition } = h.record(c === '+' ? 'L4OK' : 'L4CON', c === '+' ? '' : 'Connection refused', 0);
    return transition ? transition.up : null;
  });
}

test('a checked server starts UP with health = rise: the first failure takes it DOWN (HAProxy)', () => {
  const h = new HealthState(2, 3);
  assert.equal(h.state, 'up');
  assert.equal(h.health, 2);
  assert.equal(formatHealth(h.health, h.rise, h.fall), '1/3 UP');
  const { outcome, transition } = h.record('L4CON', 'Connection refused', 0);
  assert.deepEqual(transition, {
    up: false, reason: 'Layer4 connection problem', info: 'Connection refused', checkDurationMs: 0, status: 'L4CON',
  });
  assert.equal(outcome.health, 0);
  assert.equal(formatHealth(outcome.health, 2, 3), '0/2 DOWN');
});

test('a first success fills the counter; then fall failures in a row are needed', () => {
  const h = new HealthState(2, 3);
  assert.deepEqual(feed(h, '+'), [null]);
  assert.equal(h.health, 4);
  assert.equal(formatHealth(h.health, 2, 3), '3/3 UP');
  assert.deepEqual(feed(h, '--'), [null, null]);
  assert.equal(formatHealth(h.health, 2, 3), '1/3 UP');
  // one success while going down restores full health
  assert.deepEqual(feed(h, '+'), [null]);
  assert.equal(h.health, 4);
  assert.deepEqual(feed(h, '---'), [null, null, false]);
  assert.equal(h.state, 'down');
});

test('rise successes in a row bring a DOWN server back; a failure resets the count', () => {
  const h = new HealthState(3, 2);
  feed(h, '-');
  assert.equal(h.state, 'down');
  assert.deepEqual(feed(h, '++-'), [null, null, null]);
  assert.equal(h.health, 0);
  assert.equal(formatHealth(h.health, 3, 2), '0/3 DOWN');
  assert.deepEqual(feed(h, '++'), [null, null]);
  assert.equal(formatHealth(h.health, 3, 2), '2/3 DOWN');
  assert.deepEqual(feed(h, '+'), [true]);
  assert.equal(formatHealth(h.health, 3, 2), '2/2 UP');
});

test('rise 1 / fall 1', () => {
  const h = new HealthState(1, 1);
  assert.deepEqual(feed(h, '+-+-'), [null, false, true, false]);
});

test('report flag: status changes and health changes are reported, steady states are not', () => {
  const h = new HealthState(2, 2);
  assert.equal(h.record('L4OK', '', 1).outcome.report, true); // INI -> L4OK, health 2 -> 3
  assert.equal(h.record('L4OK', '', 1).outcome.report, false);
  assert.equal(h.record('L4CON', 'x', 1).outcome.report, true);
  assert.equal(h.record('L4CON', 'x', 1).outcome.report, true); // 2 -> 0: down
  assert.equal(h.record('L4CON', 'x', 1).outcome.report, false);
});

test('conditional pass (L7OKC) turns the server to stopping, a pass brings it back up', () => {
  const h = new HealthState(2, 3);
  const r = h.record('L7OKC', '', 3);
  assert.equal(r.transition?.stopping, true);
  assert.equal(r.transition?.up, true);
  assert.equal(h.state, 'stopping');
  assert.equal(h.record('L7OK', '(tcp-check)', 3).transition?.up, true);
  assert.equal(h.state, 'up');
});

test('maintenance: health 0 without transition, leaving it restarts at rise (UP)', () => {
  const h = new HealthState(2, 3, { maintenance: true });
  assert.equal(h.state, 'down');
  assert.equal(h.record('L4OK', '', 0).transition, null);
  h.setMaintenance(false);
  assert.equal(h.state, 'up');
  assert.equal(h.health, 2);
});

test('messages as srv_append_status() and "option log-health-checks" word them', () => {
  assert.equal(
    formatCheckReason({ status: 'L4CON', info: 'Connection refused', checkDurationMs: 0 }),
    ', reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms',
  );
  assert.equal(formatCheckReason({ status: 'L4OK', info: '', checkDurationMs: 3 }), ', reason: Layer4 check passed, check duration: 3ms');
  assert.equal(
    formatCheckReason({ status: 'L7OK', info: '(tcp-check)', checkDurationMs: 1, code: 0 }),
    ', reason: Layer7 check passed, code: 0, info: "(tcp-check)", check duration: 1ms',
  );
  assert.equal(
    formatCheckReason({ status: 'HANA', info: 'Detected 10 consecutive errors, last one was: L4 unsuccessful connection', checkDurationMs: -1 }),
    ', reason: Health analyze, info: "Detected 10 consecutive errors, last one was: L4 unsuccessful connection"',
  );
  assert.equal(asciiEncode('a"b\r\n<>'), 'a<22>b<0D><0A><3C><3E>');
  const h = new HealthState(2, 3);
  const { outcome } = h.record('L7TOUT', " at step 2 of tcp-check (expect string 'PONG')", 378);
  assert.equal(
    formatHealthCheckLog('t3', 'silent', false, outcome),
    `Health check for server t3/silent failed, reason: Layer7 timeout, info: " at step 2 of tcp-check (expect string 'PONG')", check duration: 378ms, status: 0/2 DOWN`,
  );
  const up = new HealthState(2, 3).record('L4OK', '', 0).outcome;
  assert.equal(formatHealthCheckLog('t6', 'ok', true, up), 'Health check for backup server t6/ok succeeded, reason: Layer4 check passed, check duration: 0ms, status: 3/3 UP');
});

test('status descriptions (stats check_status / check_desc)', () => {
  const expected: [CheckStatus, string][] = [
    ['L4OK', 'Layer4 check passed'], ['L4TOUT', 'Layer4 timeout'], ['L4CON', 'Layer4 connection problem'],
    ['L6OK', 'Layer6 check passed'], ['L6TOUT', 'Layer6 timeout'], ['L6RSP', 'Layer6 invalid response'],
    ['L7OK', 'Layer7 check passed'], ['L7OKC', 'Layer7 check conditionally passed'], ['L7TOUT', 'Layer7 timeout'],
    ['L7RSP', 'Layer7 invalid response'], ['L7STS', 'Layer7 wrong status'], ['SOCKERR', 'Socket error'], ['HANA', 'Health analyze'],
  ];
  for (const [s, d] of expected) assert.equal(checkStatusDescription(s), d);
});

test('info is truncated to 127 bytes as HCHK_DESC_LEN', () => {
  const h = new HealthState(2, 3);
  h.record('L7RSP', 'x'.repeat(300), 0);
  assert.equal(h.info.length, 127);
});
