// Keeping the certificate stores of every thread alike (nbthread): each thread runs its own
// runtime built from the same configuration, while the runtime API runs on one thread. The
// thread that changes its store announces the change on a BroadcastChannel; the others replay
// it on theirs (cert-ops.ts applyCertChange()) and acknowledge, and the CLI waits for the
// acknowledgements before answering, so that once it says "Success!" every thread's new
// handshakes use the new certificate. Peers introduce themselves when they start, so the
// announcing thread knows whom to wait for; a peer that does not answer within a second is
// not waited for any longer.
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { applyCertChange, certChanges, type CertChange } from './cert-ops.ts';
import type { CertStore } from './cert-store.ts';

type Message =
  | { readonly type: 'hello' | 'here'; readonly from: number }
  | { readonly type: 'change'; readonly from: number; readonly seq: number; readonly change: CertChange }
  | { readonly type: 'ack'; readonly from: number; readonly to: number; readonly seq: number };

const ACK_TIMEOUT_MS = 1000;

let shared: CertStore | null = null;
let channel: BroadcastChannel | null = null;
const peers = new Set<number>();
let replaying = false;
let seq = 0;
/** Peers that have not acknowledged the last change yet, and who waits for them. */
let waiting = new Set<number>();
let wakeups: (() => void)[] = [];

function post(m: Message): void {
  channel?.postMessage(m);
}

function settle(): void {
  if (waiting.size > 0) return;
  const w = wakeups;
  wakeups = [];
  for (const fn of w) fn();
}

function onMessage(ev: unknown): void {
  const m = (ev as { data: Message }).data;
  if (m.from === threadId) return;
  switch (m.type) {
    case 'hello':
      peers.add(m.from);
      post({ type: 'here', from: threadId });
      break;
    case 'here':
      peers.add(m.from);
      break;
    case 'change':
      peers.add(m.from);
      replaying = true;
      try {
        if (shared) applyCertChange(shared, m.change);
      } finally {
        replaying = false;
      }
      post({ type: 'ack', from: threadId, to: m.from, seq: m.seq });
      break;
    case 'ack':
      if (m.to !== threadId || m.seq !== seq) break;
      waiting.delete(m.from);
      settle();
      break;
  }
}

/**
 * Shares the changes of `store` (this thread's configuration) with the other threads of the
 * process, and replays theirs on it. Called when the TLS listeners start; once per thread.
 */
export function shareCertStore(store: CertStore): void {
  if (shared) return;
  shared = store;
  channel = new BroadcastChannel(`turnpike-certs-${process.pid}`);
  channel.unref();
  channel.onmessage = onMessage;
  certChanges.subscribe((change) => {
    if (replaying) return;
    seq++;
    waiting = new Set(peers);
    post({ type: 'change', from: threadId, seq, change });
  });
  post({ type: 'hello', from: threadId });
}

/** Resolves once every other thread has applied the last change announced here (or stopped answering). */
export function certChangesApplied(): Promise<void> {
  if (waiting.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Peers that do not answer (threads that stopped) are not waited for again.
      for (const p of waiting) peers.delete(p);
      waiting.clear();
      settle();
    }, ACK_TIMEOUT_MS);
    timer.unref();
    wakeups.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
