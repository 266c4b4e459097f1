// SocketEvents: the slot-kept events behave as EventEmitter's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SocketEvents, DATA, CLOSE, END } from '../../../src/protocols/tcp/socket-events.ts';

describe('SocketEvents', () => {
  test('listeners run in order with their argument; off() removes the most recent instance', () => {
    const e = new SocketEvents();
    const got: string[] = [];
    const a = (d: string): void => void got.push(`a${d}`);
    const b = (d: string): void => void got.push(`b${d}`);
    e.on('data', a).on('data', b).on('data', a);
    assert.equal(e.listenerCount('data'), 3);
    e.fire1(DATA, '1');
    e.off('data', a);
    e.emit('data', '2');
    e.removeListener('data', a);
    e.fire1(DATA, '3');
    assert.deepEqual(got, ['a1', 'b1', 'a1', 'a2', 'b2', 'b3']);
    e.removeListener('data', b);
    assert.equal(e.fire1(DATA, '4'), false);
  });

  test('once() runs once and can be removed by the original listener; events.once() works', async () => {
    const e = new SocketEvents();
    let n = 0;
    const l = (): void => void n++;
    e.once('end', l);
    assert.deepEqual(e.listeners('end'), [l]);
    e.fire0(END);
    e.fire0(END);
    assert.equal(n, 1);
    e.once('end', l);
    e.off('end', l);
    e.fire0(END);
    assert.equal(n, 1);
    const p = once(e, 'close');
    e.fire1(CLOSE, true);
    assert.deepEqual(await p, [true]);
    assert.equal(e.listenerCount('close'), 0);
    assert.equal(e.listenerCount('error'), 0);
  });

  test('a listener removed during an emit still runs in that emit, as with EventEmitter', () => {
    const e = new SocketEvents();
    const got: string[] = [];
    const second = (): void => void got.push('second');
    e.on('drain', () => { got.push('first'); e.off('drain', second); });
    e.on('drain', second);
    e.emit('drain');
    e.emit('drain');
    assert.deepEqual(got, ['first', 'second', 'first']);
  });

  test("an 'error' nobody listens to is thrown; other events go to EventEmitter", () => {
    const e = new SocketEvents();
    assert.throws(() => e.emit('error', new Error('boom')), /boom/);
    let got: unknown = null;
    e.on('lookup', (x: unknown) => { got = x; });
    e.emit('lookup', 42);
    assert.equal(got, 42);
    e.removeAllListeners();
    e.emit('lookup', 43);
    assert.equal(got, 42);
  });
});
