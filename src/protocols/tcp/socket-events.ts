// The listeners of the events a connection emits all the time (data, end, close, error, drain,
// timeout, connect) live in one slot per event: EventEmitter keeps them in a dictionary-mode
// object, and adding, removing and emitting them cost about 11k instructions per proxied TCP
// connection (callgrind, short connections). Other events and the rest of EventEmitter's API
// still go to EventEmitter; 'newListener' and 'removeListener' are not emitted for the slots.
import { EventEmitter } from 'node:events';

type Listener = (...args: any[]) => void;
type OnceWrapper = Listener & { listener: Listener };
/** A slot: no listener, one, or several in order (replaced, never changed in place, so an emit in progress is unaffected). */
type Slot = Listener | readonly Listener[] | null;

export const DATA = 0;
export const END = 1;
export const CLOSE = 2;
export const ERROR = 3;
export const DRAIN = 4;
export const TIMEOUT = 5;
export const CONNECT = 6;

function slotOf(event: string | symbol): number {
  switch (event) {
    case 'data': return DATA;
    case 'end': return END;
    case 'close': return CLOSE;
    case 'error': return ERROR;
    case 'drain': return DRAIN;
    case 'timeout': return TIMEOUT;
    case 'connect': return CONNECT;
    default: return -1;
  }
}

/** A slot's listeners as a list (a copy only where it has to be made). */
function listOf(slot: Slot): readonly Listener[] {
  return slot === null ? [] : typeof slot === 'function' ? [slot] : slot;
}

function original(l: Listener): Listener {
  return (l as Partial<OnceWrapper>).listener ?? l;
}

export class SocketEvents extends EventEmitter {
  private readonly slots: Slot[] = [null, null, null, null, null, null, null];

  override on(event: string | symbol, listener: Listener): this {
    return this.addListener(event, listener);
  }

  override addListener(event: string | symbol, listener: Listener): this {
    return this.insert(event, listener, false);
  }

  override prependListener(event: string | symbol, listener: Listener): this {
    return this.insert(event, listener, true);
  }

  override once(event: string | symbol, listener: Listener): this {
    return slotOf(event) < 0 ? super.once(event, listener) : this.insert(event, this.onceWrapper(event, listener), false);
  }

  override prependOnceListener(event: string | symbol, listener: Listener): this {
    return slotOf(event) < 0 ? super.prependOnceListener(event, listener) : this.insert(event, this.onceWrapper(event, listener), true);
  }

  private insert(event: string | symbol, listener: Listener, first: boolean): this {
    const i = slotOf(event);
    if (i < 0) return first ? super.prependListener(event, listener) : super.addListener(event, listener);
    const others = listOf(this.slots[i]!);
    this.slots[i] = others.length === 0 ? listener : first ? [listener, ...others] : [...others, listener];
    return this;
  }

  private onceWrapper(event: string | symbol, listener: Listener): OnceWrapper {
    const w = ((...args: unknown[]) => {
      this.removeListener(event, w);
      listener.apply(this, args);
    }) as OnceWrapper;
    w.listener = listener;
    return w;
  }

  override off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** Removes the most recently added instance of `listener`, as EventEmitter does. */
  override removeListener(event: string | symbol, listener: Listener): this {
    const i = slotOf(event);
    if (i < 0) return super.removeListener(event, listener);
    const cur = this.slots[i]!;
    if (cur === null) return this;
    if (typeof cur === 'function') {
      if (cur === listener || original(cur) === listener) this.slots[i] = null;
      return this;
    }
    for (let k = cur.length - 1; k >= 0; k--) {
      if (cur[k] !== listener && original(cur[k]!) !== listener) continue;
      const rest = cur.filter((_, j) => j !== k);
      this.slots[i] = rest.length === 1 ? rest[0]! : rest;
      break;
    }
    return this;
  }

  override removeAllListeners(event?: string | symbol): this {
    if (event === undefined) {
      this.slots.fill(null);
      // EventEmitter tells "all" from "event undefined" by the argument count.
      return super.removeAllListeners();
    }
    const i = slotOf(event);
    if (i < 0) return super.removeAllListeners(event);
    this.slots[i] = null;
    return this;
  }

  override listenerCount(event: string | symbol, listener?: Listener): number {
    const i = slotOf(event);
    if (i < 0) return super.listenerCount(event, listener);
    const all = listOf(this.slots[i]!);
    return listener === undefined ? all.length : all.filter((l) => l === listener || original(l) === listener).length;
  }

  override listeners(event: string | symbol): Listener[] {
    const i = slotOf(event);
    if (i < 0) return super.listeners(event) as Listener[];
    return this.rawListeners(event).map(original);
  }

  override rawListeners(event: string | symbol): Listener[] {
    const i = slotOf(event);
    if (i < 0) return super.rawListeners(event) as Listener[];
    return [...listOf(this.slots[i]!)];
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const i = slotOf(event);
    if (i < 0) return super.emit(event, ...args);
    return args.length === 0 ? this.fire0(i) : this.fire1(i, args[0]);
  }

  /** @internal emits slot `i`'s event without arguments */
  fire0(i: number): boolean {
    const l = this.slots[i]!;
    if (l === null) return false;
    if (typeof l === 'function') l.call(this);
    else for (let k = 0; k < l.length; k++) l[k]!.call(this);
    return true;
  }

  /** @internal emits slot `i`'s event with one argument; an error nobody listens to is thrown, as EventEmitter does */
  fire1(i: number, a: unknown): boolean {
    const l = this.slots[i]!;
    if (l === null) {
      if (i === ERROR) throw a;
      return false;
    }
    if (typeof l === 'function') l.call(this, a);
    else for (let k = 0; k < l.length; k++) l[k]!.call(this, a);
    return true;
  }
}
