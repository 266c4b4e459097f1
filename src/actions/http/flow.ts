// Actions steering the transaction: allow, reject, set-log-level, set-status, wait-for-body.
import { httpReason } from '../../protocols/http1/reason.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import type { ActionParser } from './env.ts';

class FixedVerdict implements HttpAction {
  readonly name: string;
  private readonly verdict: Verdict;

  constructor(name: string, verdict: Verdict) {
    this.name = name;
    this.verdict = verdict;
  }

  run(t: HttpRuleTarget): Verdict {
    if (this.verdict === Verdict.Reject) t.setTermination('P', 'R');
    return this.verdict;
  }
}

const ALLOW = new FixedVerdict('allow', Verdict.Allow);
const REJECT = new FixedVerdict('reject', Verdict.Reject);

/** syslog levels, as "log" and set-log-level name them. */
export const LOG_LEVELS: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

class SetLogLevel implements HttpAction {
  readonly name = 'set-log-level';
  private readonly level: number;

  constructor(level: number) {
    this.level = level;
  }

  run(t: HttpRuleTarget): Verdict {
    t.setLogLevel(this.level);
    return Verdict.Continue;
  }
}

const parseSetLogLevel: ActionParser = (args, i) => {
  const w = args[i];
  const level = w === 'silent' ? -1 : w === undefined ? -2 : LOG_LEVELS.indexOf(w);
  if (level === -2 || (level === -1 && w !== 'silent')) return "expects exactly 1 argument (log level name or 'silent')";
  return { action: new SetLogLevel(level), next: i + 1 };
};

class SetStatus implements HttpAction {
  readonly name = 'set-status';
  private readonly status: number;
  private readonly reason: string;

  constructor(status: number, reason: string | null) {
    this.status = status;
    this.reason = reason ?? httpReason(status);
  }

  run(t: HttpRuleTarget): Verdict {
    const res = t.txn.res!;
    res.status = this.status;
    res.reason = this.reason;
    return Verdict.Continue;
  }
}

const parseSetStatus: ActionParser = (args, i) => {
  const w = args[i];
  if (w === undefined || w === '') return 'expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>';
  const status = /^[+-]?\d+$/.test(w) ? Number(w) : NaN;
  if (!(status >= 100 && status <= 999)) return 'expects an integer status code between 100 and 999';
  let next = i + 1;
  let reason: string | null = null;
  const r = args[next + 1];
  if (args[next] === 'reason' && r !== undefined && r !== '' && r !== 'if' && r !== 'unless') {
    reason = r;
    next += 2;
  }
  return { action: new SetStatus(status, reason), next };
};

/**
 * wait-for-body: the rule set pauses (Verdict.Yield, resumed at this rule) until the whole
 * body is buffered, <at-least> bytes of it are, or the buffer is full; after <time> without
 * that, a request gets a 408 and a response a 504, as in HAProxy (http_wait_for_msg_body).
 */
class WaitForBody implements HttpAction {
  readonly name = 'wait-for-body';
  private readonly time: number;
  private readonly atLeast: number;
  private readonly response: boolean;

  constructor(time: number, atLeast: number, response: boolean) {
    this.time = time;
    this.atLeast = atLeast;
    this.response = response;
  }

  run(t: HttpRuleTarget): Verdict {
    const txn = t.txn;
    let body = this.response ? txn.resBody : txn.reqBody;
    if (body === null) {
      t.bufferBody(this.response);
      body = this.response ? txn.resBody : txn.reqBody;
    }
    const final = this.response ? txn.resBodyFinal : txn.reqBodyFinal;
    if (final || (this.atLeast > 0 && body !== null && body.length >= this.atLeast)) {
      t.yieldUntil = 0;
      return Verdict.Continue;
    }
    const now = Date.now();
    if (t.yieldUntil === 0) t.yieldUntil = now + this.time;
    else if (now >= t.yieldUntil) {
      t.yieldUntil = 0;
      t.reply = t.errorReply(this.response ? 504 : 408);
      t.setTermination(this.response ? 's' : 'c', 'D');
      return Verdict.Reply;
    }
    return Verdict.Yield;
  }
}

/** HAProxy's time and size parsers report the first unexpected character. */
function parseUnit(text: string, units: Readonly<Record<string, number>>): number | string {
  const m = /^(\d*)(.*)$/.exec(text)!;
  if (m[1] === '') return `unexpected character '${text[0] ?? ''}'`;
  const factor = units[m[2]!];
  if (factor === undefined) return `unexpected character '${m[2]![0]}'`;
  return Number(m[1]) * factor;
}
const TIME_UNITS = { '': 1, us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS = { '': 1, k: 1024, K: 1024, m: 1024 ** 2, M: 1024 ** 2, g: 1024 ** 3, G: 1024 ** 3 };

const parseWaitForBody: ActionParser = (args, i, env) => {
  if (args[i] !== 'time') return 'expects time <time> [ at-least <bytes> ]';
  if (args[i + 1] === undefined) return "missing argument for 'time'";
  const time = parseUnit(args[i + 1]!, TIME_UNITS);
  if (typeof time === 'string') return time;
  let next = i + 2;
  let atLeast = 0;
  if (args[next] === 'at-least') {
    if (args[next + 1] === undefined) return "missing argument for 'at-least'";
    const size = parseUnit(args[next + 1]!, SIZE_UNITS);
    if (typeof size === 'string') return size;
    atLeast = size;
    next += 2;
  }
  return { action: new WaitForBody(Math.ceil(time), atLeast, env.response), next };
};

export const FLOW_ACTIONS: Readonly<Record<string, ActionParser>> = {
  allow: (_args, i) => ({ action: ALLOW, next: i }),
  reject: (_args, i) => ({ action: REJECT, next: i }),
  'set-log-level': parseSetLogLevel,
  'set-status': parseSetStatus,
  'wait-for-body': parseWaitForBody,
};
