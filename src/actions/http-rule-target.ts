// The contract between HTTP rules (http-request / http-response / http-after-response /
// redirect, error pages) and the HTTP stream that runs them. Rules read and rewrite the
// transaction through this interface only; the stream implements it.
//
// What the stream does, in HAProxy's order (actions/http-rules.ts has the runners):
// - request head parsed: size txn.reqCaptures/resCaptures to the frontend's slots and call
//   captureHeaders(fe.reqCaptures, req.headers, txn.reqCaptures) (likewise for the response);
// - runRequestRules(fe, t), then, once the backend is chosen and if it is another proxy,
//   runRequestRules(be, t); a Yield resumes with runRequestRules(px, t, t.yieldRule);
// - response head: runHttpRules(be.httpResponseRules), then the frontend's if another proxy
//   (Allow only ends the current proxy's list);
// - every response sent, the server's or a reply: txn.res = the response, then
//   runAfterResponseRules(be, fe, t) before writing it.
import type { Loc } from '../config/diagnostics.ts';
import type { ProxyConfig } from '../config/model.ts';
import type { HttpResponse } from '../protocols/http1/message.ts';
import type { Condition, SampleHttpTxn, SampleStream } from '../sample/types.ts';

/** A complete response to send instead of forwarding (deny, return, redirect, auth, errors). */
export interface HttpReply {
  readonly res: HttpResponse;
  readonly body: Buffer;
  /**
   * An empty errorfile (e.g. "errorfile 408 /dev/null"): send nothing and close the client
   * connection; res.status is still the status to log.
   */
  readonly silent?: true;
}

/**
 * What a rule set decided.
 * - Continue: no rule stopped evaluation; go on with the next rule set / phase.
 * - Allow: "allow" matched; skip the remaining rules of this set, go on.
 * - Reply: send `t.reply` (a return, redirect, auth, or a wait-for-body timeout), through
 *   the http-after-response rules; termination flags were set with setTermination().
 * - Deny: as Reply, but it is a denial: count denied_req (frontend, backend when assigned, listener).
 * - Reject: close the client connection without a response; count denied_req.
 * - Tarpit: hold the request for "timeout tarpit" (of the proxy whose rule matched, or its
 *   "timeout connect" when unset), then send `t.reply` as for Deny (log flags PT).
 * - Yield: wait-for-body needs more data; re-run the same rule list from `t.yieldRule` when body
 *   data arrives, the body ends, the buffer is full, or at `t.yieldUntil`.
 */
export const Verdict = { Continue: 0, Allow: 1, Reply: 2, Reject: 3, Tarpit: 4, Yield: 5, Deny: 6 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The transaction as rules see it: the request/response heads are mutable objects. */
export interface MutableHttpTxn extends SampleHttpTxn {
  /** Response body buffered so far by "http-response wait-for-body"; null when not waited for. */
  readonly resBody: Buffer | null;
  readonly resBodyFinal: boolean;
}

/** Termination flags of the log (%ts): first letter the cause, second the phase. */
export type RuleTermCause = 'P' | 'L' | 'c' | 's';
export type RuleTermPhase = 'R' | 'H' | 'D' | 'T';

export interface HttpRuleTarget extends SampleStream {
  /** Never null while HTTP rules run. */
  readonly txn: MutableHttpTxn;
  /** The frontend's configuration (its capture slots). */
  readonly feConfig: ProxyConfig;
  /** The reply chosen by deny/return/redirect/auth/tarpit (set by the action before it returns Reply/Deny/Tarpit). */
  reply: HttpReply | null;
  /**
   * Absolute time (ms, Date.now()) until which a yielding wait-for-body waits; 0 when no wait is
   * in progress. Actions set and clear it; the stream arms a timer on it after a Yield and resets
   * it to 0 at the start of each transaction.
   */
  yieldUntil: number;
  /** Index of the rule that yielded (set by runHttpRules with Verdict.Yield): where to re-run from. */
  yieldRule: number;
  /** set-log-level: 0..7 syslog levels, -1 = silent (no log for this transaction). */
  setLogLevel(level: number): void;
  /** Sets the log termination flags unless some are already set (HAProxy's SF_ERR/SF_FINST "if not set"). */
  setTermination(cause: RuleTermCause, phase: RuleTermPhase): void;
  /**
   * The error reply for `status` as this stream would send it: the backend's error pages
   * (errorfile, errorfiles, http-error, errorloc) when a backend is assigned and has one, else the
   * frontend's, else HAProxy's built-in page. Implement with protocols/http1/errors.ts
   * streamErrorReply(fe, be, status, this).
   * Returns a fresh object the caller may modify.
   */
  errorReply(status: number): HttpReply;
  /**
   * wait-for-body: from now on buffer the request (or response) body instead of streaming it,
   * up to tune.bufsize, filling txn.reqBody/reqBodyFinal (resBody/resBodyFinal).
   */
  bufferBody(response: boolean): void;
}

/** One action of a rule; built once at load time, run per transaction. */
export interface HttpAction {
  /** The keyword, e.g. "set-header" (for messages and logs). */
  readonly name: string;
  run(t: HttpRuleTarget): Verdict;
}

export interface HttpRule {
  readonly loc: Loc;
  readonly cond: Condition | null;
  readonly action: HttpAction;
}
