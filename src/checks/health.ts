// Health of a checked server, as HAProxy's check.c: the rise/fall counter, the check
// statuses (stats "check_status") and the wording of the server state change messages.
//
// The counter ("health") runs from 0 to rise+fall-1. The server is up while health >= rise.
// A failed check decrements it, but a server that falls below rise drops straight to 0; a
// passed check increments it, and a server that reaches rise jumps straight to the top.
// A server with "check" starts up with health = rise: "up, but will fall down at first
// failure" (server.c), so the very first failed check marks it DOWN.

/** Check statuses, as shown by the stats page ("check_status") and the CLI. */
export type CheckStatus =
  | 'UNK' | 'INI' | 'SOCKERR'
  | 'L4OK' | 'L4TOUT' | 'L4CON'
  | 'L6OK' | 'L6TOUT' | 'L6RSP'
  | 'L7OK' | 'L7OKC' | 'L7TOUT' | 'L7RSP' | 'L7STS'
  | 'HANA' | 'PROCERR' | 'PROCTOUT' | 'PROCOK';

export type CheckResult = 'unknown' | 'neutral' | 'failed' | 'passed' | 'condpass';

interface StatusInfo {
  readonly result: CheckResult;
  readonly desc: string;
  /** Statuses from layer 5 up carry a response code in messages (HCHK_STATUS_L57DATA). */
  readonly hasCode: boolean;
}

const STATUSES: Readonly<Record<CheckStatus, StatusInfo>> = {
  UNK: { result: 'unknown', desc: 'Unknown', hasCode: false },
  INI: { result: 'unknown', desc: 'Initializing', hasCode: false },
  SOCKERR: { result: 'failed', desc: 'Socket error', hasCode: false },
  L4OK: { result: 'passed', desc: 'Layer4 check passed', hasCode: false },
  L4TOUT: { result: 'failed', desc: 'Layer4 timeout', hasCode: false },
  L4CON: { result: 'failed', desc: 'Layer4 connection problem', hasCode: false },
  L6OK: { result: 'passed', desc: 'Layer6 check passed', hasCode: false },
  L6TOUT: { result: 'failed', desc: 'Layer6 timeout', hasCode: false },
  L6RSP: { result: 'failed', desc: 'Layer6 invalid response', hasCode: false },
  // Below HCHK_STATUS_L57DATA in HAProxy's enum: no code printed (checked on 2.6.12).
  L7TOUT: { result: 'failed', desc: 'Layer7 timeout', hasCode: false },
  L7RSP: { result: 'failed', desc: 'Layer7 invalid response', hasCode: false },
  L7OK: { result: 'passed', desc: 'Layer7 check passed', hasCode: true },
  L7OKC: { result: 'condpass', desc: 'Layer7 check conditionally passed', hasCode: true },
  L7STS: { result: 'failed', desc: 'Layer7 wrong status', hasCode: true },
  HANA: { result: 'failed', desc: 'Health analyze', hasCode: false },
  PROCERR: { result: 'failed', desc: 'External check error', hasCode: true },
  PROCTOUT: { result: 'failed', desc: 'External check timeout', hasCode: true },
  PROCOK: { result: 'passed', desc: 'External check passed', hasCode: true },
};

/** The long description ("reason: ...") of a status. */
export function checkStatusDescription(s: CheckStatus): string {
  return STATUSES[s].desc;
}

export function checkStatusResult(s: CheckStatus): CheckResult {
  return STATUSES[s].result;
}

/** Whether messages print ", code: N" for this status. */
export function checkStatusHasCode(s: CheckStatus): boolean {
  return STATUSES[s].hasCode;
}

/** A server state change caused by checks (or by observed traffic, status HANA). */
export interface TransitionEvent {
  /** New operational state. */
  readonly up: boolean;
  /** Up but asked to drain (a check conditionally passed, L7OKC): HAProxy's STOPPING/NOLB. */
  readonly stopping?: boolean;
  /** Long description of the status, e.g. 'Layer4 connection problem'. */
  readonly reason: string;
  /** Details ("info"), e.g. 'Connection refused'; '' when none. */
  readonly info: string;
  /** Duration of the check, or -1 when not applicable (HANA): then it is not printed. */
  readonly checkDurationMs: number;
  readonly status: CheckStatus;
  /** Response code for layer 7 statuses (0 for tcp-check). */
  readonly code?: number;
}

/** The outcome of one check, for stats and "option log-health-checks". */
export interface CheckOutcome {
  readonly status: CheckStatus;
  readonly info: string;
  readonly durationMs: number;
  readonly code: number;
  /** Health counter after the check, with rise and fall, for "status: 2/3 UP". */
  readonly health: number;
  readonly rise: number;
  readonly fall: number;
  /** True when HAProxy would log this check with "option log-health-checks". */
  readonly report: boolean;
  /** Whether the result counts as a success (passed or conditionally passed). */
  readonly passed: boolean;
}

/** HCHK_DESC_LEN: the info text is truncated to 127 bytes. */
const DESC_MAX = 127;

function truncateInfo(info: string): string {
  const b = Buffer.from(info, 'latin1');
  return b.length > DESC_MAX ? b.subarray(0, DESC_MAX).toString('latin1') : info;
}

/**
 * Encodes an info text as chunk_asciiencode(): non-printable bytes, '<', '>' and the quote
 * become "<XX>" (upper-case hexadecimal).
 */
export function asciiEncode(text: string, quote = '"'): string {
  let out = '';
  for (const c of Buffer.from(text, 'latin1')) {
    const ch = String.fromCharCode(c);
    if (c < 0x20 || c > 0x7e || ch === '<' || ch === '>' || ch === quote) out += `<${c.toString(16).toUpperCase().padStart(2, '0')}>`;
    else out += ch;
  }
  return out;
}

/**
 * The status part of server state messages, as srv_append_status()/check_append_info():
 * ", reason: <desc>[, code: <n>][, info: "<info>"][, check duration: <n>ms]".
 */
export function formatCheckReason(ev: { status: CheckStatus; info: string; checkDurationMs: number; code?: number }): string {
  let s = `, reason: ${checkStatusDescription(ev.status)}`;
  if (checkStatusHasCode(ev.status)) s += `, code: ${ev.code ?? 0}`;
  if (ev.info) s += `, info: "${asciiEncode(ev.info)}"`;
  if (ev.checkDurationMs >= 0) s += `, check duration: ${ev.checkDurationMs}ms`;
  return s;
}

/** "3/3 UP", "1/2 DOWN": the counter as the check logs and the stats page show it. */
export function formatHealth(health: number, rise: number, fall: number): string {
  return health >= rise ? `${health - rise + 1}/${fall} UP` : `${health}/${rise} DOWN`;
}

/**
 * The line "option log-health-checks" emits for a reported check, without the final dot:
 * "Health check for [backup ]server be/s succeeded, reason: ..., status: 3/3 UP".
 */
export function formatHealthCheckLog(proxy: string, server: string, backup: boolean, o: CheckOutcome): string {
  const verb = `${o.status === 'L7OKC' ? 'conditionally ' : ''}${o.passed ? 'succeeded' : 'failed'}`;
  return `Health check for ${backup ? 'backup ' : ''}server ${proxy}/${server} ${verb}${formatCheckReason({ ...o, checkDurationMs: o.durationMs })}, status: ${formatHealth(o.health, o.rise, o.fall)}`;
}

export type ServerOpState = 'up' | 'down' | 'stopping';

/**
 * The rise/fall state machine of one server's health check (set_server_check_status(),
 * check_notify_failure(), check_notify_success(), check_notify_stopping()).
 */
export class HealthState {
  readonly rise: number;
  readonly fall: number;
  health: number;
  /** Operational state as the checks see it. */
  state: ServerOpState;
  /** In maintenance: no transition is reported (the runtime owns the MAINT state). */
  maintenance = false;
  /** Last check status and its details (stats). */
  status: CheckStatus = 'INI';
  info = '';
  code = 0;
  durationMs = -1;

  constructor(rise: number, fall: number, opts: { maintenance?: boolean } = {}) {
    this.rise = Math.max(1, rise);
    this.fall = Math.max(1, fall);
    // "up, but will fall down at first failure"
    this.health = this.rise;
    this.state = 'up';
    if (opts.maintenance) {
      this.maintenance = true;
      this.health = 0;
      this.state = 'down';
    }
  }

  get max(): number {
    return this.rise + this.fall - 1;
  }

  /** True when health is full (the server is UP and not "going down"). */
  get full(): boolean {
    return this.health === this.max;
  }

  /**
   * Records a finished check and returns its outcome plus the state change it causes, if any.
   * `durationMs` is -1 for HANA (observed traffic), which is not a real check.
   */
  record(status: CheckStatus, info: string, durationMs: number, code = 0): { outcome: CheckOutcome; transition: TransitionEvent | null } {
    const result = checkStatusResult(status);
    let report = status !== this.status;
    this.status = status;
    this.info = truncateInfo(info);
    this.code = code;
    this.durationMs = durationMs;
    if (result === 'failed') {
      if (this.health > 0) {
        report = true;
        this.health--;
        if (this.health < this.rise) this.health = 0;
      }
    } else if (result === 'passed' || result === 'condpass') {
      if (this.health < this.max) {
        report = true;
        this.health++;
        if (this.health >= this.rise) this.health = this.max;
      }
    }
    const outcome: CheckOutcome = {
      status, info: this.info, durationMs, code, health: this.health, rise: this.rise, fall: this.fall, report,
      passed: result === 'passed' || result === 'condpass',
    };
    let transition: TransitionEvent | null = null;
    if (!this.maintenance) {
      if (result === 'failed' && this.health === 0 && this.state !== 'down') {
        this.state = 'down';
        transition = this.event(false);
      } else if (result === 'passed' && this.health >= this.rise && this.state !== 'up') {
        this.state = 'up';
        transition = this.event(true);
      } else if (result === 'condpass' && this.health >= this.rise && this.state !== 'stopping') {
        // check_notify_stopping(): only a running server may turn to stopping; a down one comes up draining.
        this.state = 'stopping';
        transition = { ...this.event(true), stopping: true };
      }
    }
    return { outcome, transition };
  }

  /** "set server health": the counter to its top (up, stopping) or to 0 (down), as the CLI sets it. */
  force(state: ServerOpState): void {
    this.health = state === 'down' ? 0 : this.max;
    this.state = state;
  }

  /** Enters or leaves maintenance, as srv_update_status() does for the health check. */
  setMaintenance(on: boolean): void {
    if (on === this.maintenance) return;
    this.maintenance = on;
    if (on) {
      this.health = 0;
      this.state = 'down';
    } else {
      // "start OK but check immediately"
      this.health = this.rise;
      this.state = 'up';
    }
  }

  private event(up: boolean): TransitionEvent {
    const ev: TransitionEvent = {
      up,
      reason: checkStatusDescription(this.status),
      info: this.info,
      checkDurationMs: this.durationMs,
      status: this.status,
    };
    return checkStatusHasCode(this.status) ? { ...ev, code: this.code } : ev;
  }
}
