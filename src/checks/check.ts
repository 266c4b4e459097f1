// One server's health checks, as HAProxy's check.c/tcpcheck.c run them: a timer task that
// opens a connection (plain TCP check: connect = L4OK) or runs the proxy's tcp-check or
// http-check rules,
// records the result in the rise/fall state machine and reschedules itself with inter,
// fastinter or downinter. It also implements "observe layer4" (error-limit, on-error).
//
// Timeouts (configuration.txt, "timeout check"): the connection must be established within
// "inter", or within min(inter, "timeout connect") when "timeout check" is set; then the
// rest of the check gets "timeout check" when set, or whatever remains of "inter".
import net from 'node:net';
import type { ServerTls } from '../protocols/tls/settings.ts';
import { connectCheckTls } from '../protocols/tls/connect.ts';
import { performance } from 'node:perf_hooks';
import type { CheckSettings, ServerConfig } from '../config/model.ts';
import { buildProxyV1, buildProxyV2Local } from '../protocols/proxy-protocol.ts';
import { HealthState, checkStatusResult, type CheckOutcome, type CheckStatus, type ServerOpState, type TransitionEvent } from './health.ts';
import type { TcpCheckConnectRule, TcpCheckExpectRule, TcpCheckRule } from './tcp-check.ts';
import type { HttpCheckExpectRule, HttpCheckRule } from './http-check.ts';
import { buildHttpCheckRequest, evalHttpExpect, readHttpCheckResponse } from './http-check-run.ts';

/** A rule of either ruleset (tcp-check or http-check). */
export type CheckRule = TcpCheckRule | HttpCheckRule;

export type CheckTarget = { readonly host: string; readonly port: number } | { readonly path: string };

export type OnErrorAction = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

export interface HealthCheckOptions {
  readonly proxyName: string;
  readonly serverName: string;
  /** The server's own address (resolved); the check "addr" and "port" settings are applied on top. */
  readonly target: () => CheckTarget;
  readonly settings: CheckSettings;
  /** The backend's "timeout connect" and "timeout check" (null when unset). */
  readonly timeoutConnect?: number | null;
  readonly timeoutCheck?: number | null;
  /** getTcpCheckRules() or getHttpCheckRules() of the backend: null for plain connect checks. */
  readonly rules: readonly CheckRule[] | null;
  /** The rules are an http-check ruleset ("option httpchk"). */
  readonly http?: boolean;
  /** "http-check disable-on-404": a 404 makes a running server soft-stop. */
  readonly disable404?: boolean;
  /** "http-check send-state": the X-Haproxy-Server-State value, built for each request. */
  readonly stateHeader?: (() => string) | null;
  /**
   * PROXY header on the check connection (check-send-proxy, or the server's send-proxy when
   * no check port/addr is set: see checkProxySettings()). A number is the version; true
   * uses `proxyVersion`.
   */
  readonly sendProxy: boolean | 0 | 1 | 2;
  /** Version used by "tcp-check connect send-proxy" (the server's send-proxy-v2 gives 2). Default 1. */
  readonly proxyVersion?: 1 | 2;
  readonly observe?: 'layer4' | null;
  readonly errorLimit?: number;
  readonly onError?: OnErrorAction;
  /** global "spread-checks" percentage (0..50). */
  readonly spreadChecks?: number;
  /** Start in maintenance (server "disabled"): no check runs until setMaintenance(false). */
  readonly maintenance?: boolean;
  /** Local address for check connections ("source"). */
  readonly source?: { readonly host: string; readonly port: number } | null;
  /** Receive buffer size (tune.bufsize); a full buffer counts as the last read. */
  readonly bufsize?: number;
  /** TLS settings when checks run over TLS (check-ssl, or the server's "ssl"). */
  readonly tls?: ServerTls | null;
  readonly onTransition?: (ev: TransitionEvent) => void;
  /** Every finished check (and every HANA event, duration -1). */
  readonly onResult?: (status: CheckStatus, durationMs: number, outcome: CheckOutcome) => void;
  /** Randomness for spread-checks (tests). */
  readonly random?: () => number;
}

/** HAProxy's SRV_CHK_INTER_THRES: checks faster than this do not dictate the start-up spread. */
export const CHECK_INTER_THRESHOLD = 1000;

/**
 * First-check delays for a set of checks, as start_checks(): check number `pos` of `n`
 * starts after mininter * pos / n, where mininter is the smallest interval of at least 1 s
 * among all checks (raised to the check's own), with spread-checks jitter and capped by
 * max-spread-checks. `inters` are the checks' currentInter() values, in configuration order.
 */
export function startDelays(inters: readonly number[], spreadChecks = 0, maxSpreadChecks = 0, random: () => number = Math.random): number[] {
  const n = inters.length;
  let mininter = 0;
  for (const i of inters) if (i >= CHECK_INTER_THRESHOLD && (!mininter || mininter > i)) mininter = i;
  return inters.map((inter, pos) => {
    let m = Math.max(mininter, inter);
    if (spreadChecks > 0) {
      let rnd = Math.trunc((inter * spreadChecks) / 100);
      rnd -= Math.trunc(2 * rnd * random());
      m += rnd;
    }
    if (maxSpreadChecks && m > maxSpreadChecks) m = maxSpreadChecks;
    return Math.trunc((m * pos) / n);
  });
}

/**
 * Whether checks of this server send a PROXY header, and which version (init_srv_check()):
 * "check-send-proxy", or the server's own "send-proxy"/"send-proxy-v2" when neither a check
 * port nor a check address is set. Version 2 headers on checks are LOCAL commands.
 */
export function checkProxySettings(srv: ServerConfig): { sendProxy: 0 | 1 | 2; proxyVersion: 1 | 2 } {
  const proxyVersion: 1 | 2 = srv.sendProxy === 2 ? 2 : 1;
  const inherit = srv.sendProxy !== 0 && srv.check.port === null && srv.check.addr === null;
  return { sendProxy: srv.check.sendProxy || inherit ? proxyVersion : 0, proxyVersion };
}

const IMPLICIT_CONNECT: TcpCheckConnectRule = {
  kind: 'connect', index: 0, comment: null, port: null, addr: null, sendProxy: false, linger: false, useDefault: true, implicit: true,
};

/** glibc's strerror() texts for the errors a check connection may see. */
const STRERROR: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  EHOSTDOWN: 'Host is down',
  ENETUNREACH: 'Network is unreachable',
  ENETDOWN: 'Network is down',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  ENAMETOOLONG: 'File name too long',
  EPIPE: 'Broken pipe',
  EAGAIN: 'Resource temporarily unavailable',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOBUFS: 'No buffer space available',
  ENOMEM: 'Cannot allocate memory',
  EINVAL: 'Invalid argument',
  ENOTCONN: 'Transport endpoint is not connected',
  EPROTO: 'Protocol error',
  ENOTSOCK: 'Socket operation on non-socket',
};

export function strerror(err: NodeJS.ErrnoException): string {
  return (err.code && STRERROR[err.code]) || err.message;
}

interface RunConfig {
  readonly rules: readonly CheckRule[];
  /** option tcp-check: messages carry the tcp-check step details. */
  readonly tcpMode: boolean;
  readonly http: boolean;
  readonly disable404: boolean;
  readonly stateHeader: (() => string) | null;
  /** Whether the checks see the server down (disable-on-404 only applies to running servers). */
  readonly serverDown: () => boolean;
  readonly target: CheckTarget;
  readonly sendProxy: 0 | 1 | 2;
  readonly proxyVersion: 1 | 2;
  readonly source: { readonly host: string; readonly port: number } | null;
  readonly inter: number;
  readonly timeoutConnect: number | null;
  readonly timeoutCheck: number | null;
  readonly bufsize: number;
  readonly tls: ServerTls | null;
}

type ExpectResult = 'continue' | 'wait' | 'stop';

/** One check in progress: the tcp-check rule engine (tcpcheck_main()) on one or more connections. */
class CheckRun {
  readonly startedAt = performance.now();
  private readonly cfg: RunConfig;
  private readonly onDone: (status: CheckStatus, info: string, code: number) => void;
  private socket: net.Socket | null = null;
  private expire: NodeJS.Timeout | null = null;
  /** Rule to evaluate next. */
  private idx = 0;
  /** The rule the check is at (HAProxy's current_step), for messages. */
  private step: CheckRule | null = null;
  /** Status code of the last HTTP response evaluated (HAProxy's check->code). */
  private code = 0;
  /** The last HTTP request was HEAD: its response has no body. */
  private headRequest = false;
  /** Index of the connect rule that opened the current connection. */
  private connIdx = -1;
  private connected = false;
  /** TLS checks: the TCP connection is up, the handshake is not done yet (a failure then is a layer 6 one). */
  private handshaking = false;
  private buf: Buffer = Buffer.alloc(0);
  private full = false;
  private newData = false;
  private eos = false;
  private err: NodeJS.ErrnoException | null = null;
  private done = false;

  constructor(cfg: RunConfig, onDone: (status: CheckStatus, info: string, code: number) => void) {
    this.cfg = cfg;
    this.onDone = onDone;
  }

  begin(): void {
    this.advance();
  }

  /** Stops without a result. */
  abort(): void {
    this.done = true;
    this.cleanup();
  }

  private advance(): void {
    const rules = this.cfg.rules;
    // Each wake-up starts by reading (tcpcheck_main(): must_read = 1, last_read = 0).
    let mustRead = true;
    let lastRead = false;
    while (!this.done && this.idx < rules.length) {
      const rule = rules[this.idx]!;
      switch (rule.kind) {
        case 'connect':
          if (this.socket && this.connIdx !== this.idx) this.closeSocket();
          this.step = rule;
          if (!this.socket) {
            this.open(rule);
            return;
          }
          if (!this.connected) return;
          mustRead = this.buf.length === 0;
          lastRead = false;
          this.idx++;
          break;
        case 'send':
          this.step = rule;
          // "Always release input buffer when a new send is evaluated"
          this.buf = Buffer.alloc(0);
          this.full = false;
          this.newData = false;
          this.socket!.write(rule.data);
          mustRead = true;
          this.idx++;
          break;
        case 'http-send':
          this.step = rule;
          this.buf = Buffer.alloc(0);
          this.full = false;
          this.newData = false;
          this.headRequest = rule.method === 'HEAD';
          this.socket!.write(buildHttpCheckRequest(rule, this.cfg.stateHeader ? this.cfg.stateHeader() : null));
          mustRead = true;
          this.idx++;
          break;
        case 'expect':
        case 'http-expect': {
          this.step = rule;
          if (mustRead) {
            // Nothing new to read: wait, unless the input buffer is full (then it is the last read).
            if (!this.newData && !this.eos && !this.err && !this.full) return;
            if (this.buf.length === 0) {
              if (this.err) return this.connError(false);
              // An empty HTTP response is an invalid one, reported by the expect rule.
              if (rule.kind === 'expect') {
                const c = rule.comment ? ` comment: '${rule.comment}'` : '';
                return this.finish(rule.errorStatus ?? 'L7RSP', `TCPCHK got an empty response at step ${stepId(rule)}${c}`);
              }
            }
            this.newData = false;
            mustRead = false;
            lastRead = this.eos || this.err !== null || this.full;
          }
          const r = rule.kind === 'expect' ? this.evalExpect(rule, lastRead) : this.evalHttpExpect(rule, lastRead);
          if (r === 'stop') return;
          if (r === 'wait') {
            // Resume from the first negated expect of the chain when more data comes.
            this.idx = rule.head >= 0 ? rule.head : this.idx;
            this.step = rules[this.idx]!;
            return;
          }
          this.idx++;
          break;
        }
      }
    }
    if (!this.done) this.succeed();
  }

  private evalExpect(rule: TcpCheckExpectRule, lastRead: boolean): ExpectResult {
    const buf = this.buf;
    if (!lastRead) {
      if (rule.data && buf.length < rule.data.length) return 'wait';
      if (rule.minRecv > 0 && buf.length < rule.minRecv) return 'wait';
    }
    let match: boolean;
    switch (rule.type) {
      case 'string':
      case 'binary':
        match = buf.indexOf(rule.data!) >= 0;
        break;
      case 'rstring':
        match = rule.regex!.test(buf.toString('latin1'));
        break;
      case 'rbinary':
        match = rule.regex!.test(buf.toString('hex').toUpperCase());
        break;
    }
    // Without min-recv, a mismatch is not conclusive until the last read.
    if (!match && !lastRead && rule.minRecv === -1) return 'wait';
    if (match !== rule.inverse) return 'continue';
    let info = rule.onError ?? '';
    if (rule.onError === null) {
      info = match ? 'TCPCHK matched unwanted content' : 'TCPCHK did not match content';
      const at = ` at step ${stepId(rule)}`;
      switch (rule.type) {
        case 'string': info += ` '${rule.pattern}'${at}`; break;
        case 'binary': info += ` (binary)${at}`; break;
        case 'rstring': info += ` (regex)${at}`; break;
        case 'rbinary': info += ` (binary regex)${at}`; break;
      }
    }
    if (rule.comment) info += ` comment: ${rule.comment}`;
    this.finish(rule.errorStatus ?? 'L7RSP', info);
    return 'stop';
  }

  /** An http-check expect rule on the response read so far. */
  private evalHttpExpect(rule: HttpCheckExpectRule, lastRead: boolean): ExpectResult {
    const res = readHttpCheckResponse(this.buf, this.eos || this.err !== null, this.headRequest);
    if (typeof res === 'object') this.code = res.status;
    const r = evalHttpExpect(rule, res, lastRead, this.soft404());
    if (r.kind !== 'stop') return r.kind;
    this.finish(r.status, r.info);
    return 'stop';
  }

  /** "http-check disable-on-404" applies: a 404 soft-stops a server that is not down. */
  private soft404(): boolean {
    return this.cfg.disable404 && !this.cfg.serverDown();
  }

  private succeed(): void {
    const last = this.step;
    const tcp = this.cfg.tcpMode ? '(tcp-check)' : '';
    if (!last) this.finish('L7OK', '(tcp-check)');
    else if (last.kind === 'expect') this.finish(last.okStatus ?? 'L7OK', last.onSuccess ?? tcp);
    else if (last.kind === 'http-expect') {
      if (this.code === 404 && this.soft404()) this.finish('L7OKC', '');
      else this.finish(last.okStatus ?? 'L7OK', last.onSuccess ?? '');
    }
    else if (last.kind === 'connect') this.finish(this.cfg.tls ? 'L6OK' : 'L4OK', last.implicit ? '' : '(tcp-check)');
    else this.finish('L7OK', '(tcp-check)');
  }

  /** A connection error or a timeout (chk_report_conn_err()). */
  private connError(timeout: boolean): void {
    let where = '';
    const step = this.step;
    if (this.cfg.tcpMode) {
      const id = step ? stepId(step) : 1;
      if (id === 0) where = ' at initial connection step of tcp-check';
      else {
        where = ` at step ${id} of tcp-check`;
        if (step?.kind === 'connect') where += step.port ? ` (connect port ${step.port})` : ' (connect)';
        else if (step?.kind === 'expect') {
          switch (step.type) {
            case 'string': where += ` (expect string '${step.pattern}')`; break;
            case 'binary': where += ` (expect binary '${step.data!.toString('latin1')}')`; break;
            case 'rstring': where += ' (expect regex)'; break;
            case 'rbinary': where += ' (expect binary regex)'; break;
          }
        } else if (step?.kind === 'send') where += ' (send)';
        if (step?.comment) where += ` comment: '${step.comment}'`;
      }
    }
    if (this.handshaking) return this.finish(timeout ? 'L6TOUT' : 'L6RSP', timeout ? where : `SSL handshake failure${where}`);
    const info = (!timeout && this.err ? strerror(this.err) : '') + where;
    let status: CheckStatus;
    if (!this.connected) status = timeout ? 'L4TOUT' : 'L4CON';
    else if (!timeout) status = 'SOCKERR';
    else status = (step?.kind === 'expect' || step?.kind === 'http-expect') && step.toutStatus ? step.toutStatus : 'L7TOUT';
    this.finish(status, info);
  }

  private open(rule: TcpCheckConnectRule): void {
    this.connIdx = this.idx;
    this.connected = false;
    this.buf = Buffer.alloc(0);
    this.full = false;
    this.newData = false;
    this.eos = false;
    this.err = null;
    const { inter, timeoutConnect, timeoutCheck } = this.cfg;
    this.setExpire(timeoutCheck && timeoutConnect ? Math.min(inter, timeoutConnect) : inter);
    const base = this.cfg.target;
    let opts: net.NetConnectOpts;
    if (rule.addr) {
      opts = { host: rule.addr.host, port: rule.port ?? (rule.addr.port || ('port' in base ? base.port : 0)) };
    } else if ('path' in base) {
      opts = { path: base.path };
    } else {
      opts = { host: base.host, port: rule.port ?? base.port };
    }
    if ('host' in opts && this.cfg.source) {
      opts = { ...opts, localAddress: this.cfg.source.host, ...(this.cfg.source.port ? { localPort: this.cfg.source.port } : {}) };
    }
    const pp = rule.sendProxy ? this.cfg.proxyVersion : rule.useDefault ? this.cfg.sendProxy : 0;
    let sock: net.Socket;
    try {
      sock = net.connect(opts);
    } catch (e) {
      this.finish('SOCKERR', (e as Error).message);
      return;
    }
    const tls = this.cfg.tls;
    if (tls) {
      // The PROXY header goes in clear, before the ClientHello.
      const raw = sock;
      raw.once('connect', () => {
        if (this.socket !== sock || this.done) return;
        this.handshaking = true;
        if (pp) raw.write(proxyHeader(raw, pp));
      });
      sock = connectCheckTls(raw, tls);
    }
    this.socket = sock;
    sock.on(tls ? 'secureConnect' : 'connect', () => {
      if (this.socket !== sock || this.done) return;
      this.connected = true;
      this.handshaking = false;
      if (pp && !tls) sock.write(proxyHeader(sock, pp));
      // The connect rule completed: the rest of the check gets "timeout check" when set.
      if (timeoutCheck) this.setExpire(timeoutCheck);
      this.advance();
    });
    sock.on('data', (d: Buffer) => {
      if (this.socket !== sock || this.done) return;
      const room = this.cfg.bufsize - this.buf.length;
      if (room > 0) {
        this.buf = Buffer.concat([this.buf, d.length > room ? d.subarray(0, room) : d]);
        this.newData = true;
      }
      if (this.buf.length >= this.cfg.bufsize) this.full = true;
      this.advance();
    });
    sock.on('end', () => {
      if (this.socket !== sock || this.done) return;
      this.eos = true;
      this.advance();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (this.socket !== sock || this.done) return;
      this.err = e;
      if (!this.connected) this.connError(false);
      else this.advance();
    });
    sock.on('close', () => {
      if (this.socket !== sock || this.done) return;
      if (!this.connected) {
        this.err ??= Object.assign(new Error('Connection closed'), { code: 'ECONNRESET' });
        this.connError(false);
        return;
      }
      this.eos = true;
      this.advance();
    });
  }

  private setExpire(ms: number): void {
    if (this.expire) clearTimeout(this.expire);
    this.expire = setTimeout(() => {
      this.expire = null;
      if (!this.done) this.connError(true);
    }, Math.max(1, ms));
  }

  private finish(status: CheckStatus, info: string): void {
    if (this.done) return;
    this.done = true;
    this.cleanup();
    this.onDone(status, info, this.code);
  }

  private cleanup(): void {
    if (this.expire) {
      clearTimeout(this.expire);
      this.expire = null;
    }
    this.closeSocket();
  }

  private closeSocket(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    this.connected = false;
    this.handshaking = false;
    s.removeAllListeners();
    s.on('error', () => {});
    s.destroy();
  }
}

/** The step number HAProxy prints: 0 for the implicit first connect, else position + 1. */
function stepId(rule: CheckRule): number {
  return rule.kind === 'connect' && rule.implicit ? 0 : rule.index + 1;
}

/** The PROXY header of a check connection: v1 with the connection's own addresses, v2 LOCAL. */
function proxyHeader(sock: net.Socket, version: 1 | 2): Buffer {
  if (version === 2) return buildProxyV2Local();
  const fam = sock.remoteFamily === 'IPv6' ? 'tcp6' : sock.remoteFamily === 'IPv4' ? 'tcp4' : 'unix';
  if (fam === 'unix' || !sock.localAddress || !sock.remoteAddress) return buildProxyV1('', 0, '', 0, 'unknown');
  return buildProxyV1(sock.localAddress, sock.localPort ?? 0, sock.remoteAddress, sock.remotePort ?? 0, fam);
}

/**
 * Health checks of one server. Create it, call start(); stop() releases every timer and
 * socket. State changes are reported through onTransition, each check through onResult.
 */
export class HealthCheck {
  readonly proxyName: string;
  readonly serverName: string;
  readonly health: HealthState;
  /** Checks failed while the server was not already down (stats "chkfail"). */
  failedChecks = 0;
  /** Failures detected by observed traffic (stats "hanafail"). */
  failedHana = 0;
  /** Times the checks took the server down (stats "chkdown"). */
  downTransitions = 0;
  private readonly opts: HealthCheckOptions;
  private started = false;
  private enabled = true;
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private run: CheckRun | null = null;
  private consecutiveErrors = 0;

  constructor(opts: HealthCheckOptions) {
    this.opts = opts;
    this.proxyName = opts.proxyName;
    this.serverName = opts.serverName;
    this.health = new HealthState(opts.settings.rise, opts.settings.fall, { maintenance: opts.maintenance === true });
  }

  /** Operational state as the checks see it (up includes "going down"). */
  get up(): boolean {
    return this.health.state !== 'down';
  }

  get state(): ServerOpState {
    return this.health.state;
  }

  get status(): CheckStatus {
    return this.health.status;
  }

  /** Whether a check is in progress. */
  get running(): boolean {
    return this.run !== null;
  }

  /** Whether checks are enabled ("enable/disable health"). */
  get isEnabled(): boolean {
    return this.enabled;
  }

  /** The interval to the next check for the current health (srv_getinter()). */
  currentInter(): number {
    const s = this.opts.settings;
    const inter = Math.max(1, s.inter);
    if (this.health.full) return inter;
    if (this.health.state === 'down' && this.health.health === 0) return Math.max(1, s.downinter ?? inter);
    return Math.max(1, s.fastinter ?? inter);
  }

  /** Starts checking; the first check runs after `delayMs` (see startDelays()). */
  start(delayMs = 0): void {
    if (this.started) return;
    this.started = true;
    this.schedule(delayMs);
  }

  /** Stops checking: clears the timer and aborts a check in progress, releasing its socket. */
  stop(): void {
    this.started = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.abortRun();
  }

  /** "enable health" / "disable health": a disabled check keeps its state but runs no checks. */
  setEnabled(on: boolean): void {
    this.enabled = on;
    if (!on) this.abortRun();
  }

  /** "set server health up|stopping|down": forces the state machine (no check is run for it). */
  forceState(state: ServerOpState): void {
    this.health.force(state);
  }

  /** Maintenance: health drops to 0 and checks pause; leaving it restarts at rise and checks at once. */
  setMaintenance(on: boolean): void {
    if (on === this.health.maintenance) return;
    this.health.setMaintenance(on);
    if (on) this.abortRun();
    else if (this.started && !this.run) this.schedule(0);
  }

  /** A connection to the server succeeded (observe layer4: resets the error count). */
  reportTrafficSuccess(): void {
    if (this.opts.observe === 'layer4') this.consecutiveErrors = 0;
  }

  /** A connection to the server failed (observe layer4): after error-limit errors in a row, on-error applies. */
  reportTrafficError(): void {
    if (this.opts.observe !== 'layer4' || !this.started) return;
    this.consecutiveErrors++;
    if (this.consecutiveErrors < (this.opts.errorLimit ?? 10)) return;
    const info = `Detected ${this.consecutiveErrors} consecutive errors, last one was: L4 unsuccessful connection`;
    const h = this.health;
    switch (this.opts.onError ?? 'fail-check') {
      case 'fastinter':
        break;
      case 'sudden-death':
        // a pre-fatal failed check: one more failure takes the server down
        if (h.health > h.rise) h.health = h.rise + 1;
        this.record('HANA', info, -1);
        break;
      case 'fail-check':
        this.record('HANA', info, -1);
        break;
      case 'mark-down':
        h.health = h.rise;
        this.record('HANA', info, -1);
        break;
    }
    this.consecutiveErrors = 0;
    this.failedHana++;
    // All modes force fastinter for the next check, when it is set and sooner.
    const fast = this.opts.settings.fastinter;
    if (fast && this.started && !this.run && this.timer && performance.now() + fast < this.nextAt) this.schedule(fast);
  }

  /** Aliases used by the runtime's stream code. */
  trafficSuccess(): void {
    this.reportTrafficSuccess();
  }

  trafficError(): void {
    this.reportTrafficError();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = performance.now() + ms;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, ms));
  }

  private onTimer(): void {
    this.timer = null;
    if (!this.started || this.run) return;
    if (!this.enabled || this.health.maintenance) {
      // Paused or disabled: wake up again after inter.
      this.schedule(Math.max(1, this.opts.settings.inter));
      return;
    }
    this.startRun();
  }

  private startRun(): void {
    const o = this.opts;
    const sendProxy = o.sendProxy === true ? (o.proxyVersion ?? 1) : o.sendProxy === false ? 0 : o.sendProxy;
    let target: CheckTarget;
    try {
      target = this.resolveTarget();
    } catch (e) {
      this.onRunDone(null, 'SOCKERR', (e as Error).message);
      return;
    }
    const run: CheckRun = new CheckRun(
      {
        rules: o.rules ?? [IMPLICIT_CONNECT],
        tcpMode: o.rules !== null && o.http !== true,
        http: o.http === true,
        disable404: o.disable404 === true,
        stateHeader: o.stateHeader ?? null,
        serverDown: () => this.health.state === 'down',
        target,
        sendProxy,
        proxyVersion: o.proxyVersion ?? (sendProxy === 2 ? 2 : 1),
        source: o.source ?? null,
        inter: Math.max(1, o.settings.inter),
        timeoutConnect: o.timeoutConnect ?? null,
        timeoutCheck: o.timeoutCheck ?? null,
        bufsize: o.bufsize ?? 16384,
        tls: o.tls ?? null,
      },
      (status, info, code) => this.onRunDone(run, status, info, code),
    );
    this.run = run;
    run.begin();
  }

  /** The check destination: the server's address with the check "addr" and "port" applied. */
  private resolveTarget(): CheckTarget {
    const t = this.opts.target();
    const s = this.opts.settings;
    if ('path' in t) return s.addr ? { host: s.addr, port: s.port ?? 0 } : t;
    return { host: s.addr ?? t.host, port: s.port ?? t.port };
  }

  private onRunDone(run: CheckRun | null, status: CheckStatus, info: string, code = 0): void {
    if (run && this.run !== run) return;
    this.run = null;
    const duration = run ? Math.floor(performance.now() - run.startedAt) : 0;
    this.record(status, info, duration, code);
  }

  private abortRun(): void {
    const r = this.run;
    if (!r) return;
    this.run = null;
    r.abort();
  }

  /** Records a result, reschedules (real checks only), then reports. */
  private record(status: CheckStatus, info: string, durationMs: number, code = 0): void {
    const before = this.health.health;
    const { outcome, transition } = this.health.record(status, info, durationMs, code);
    const result = checkStatusResult(status);
    if (result === 'failed' && before > 0) this.failedChecks++;
    if (result === 'passed' || result === 'condpass') this.consecutiveErrors = 0;
    if (transition && !transition.up) this.downTransitions++;
    if (durationMs >= 0 && this.started) {
      const inter = this.currentInter();
      const spread = this.opts.spreadChecks ?? 0;
      let rv = 0;
      if (spread > 0) {
        rv = Math.trunc((inter * spread) / 100);
        rv -= Math.trunc(2 * rv * (this.opts.random ?? Math.random)());
      }
      this.schedule(Math.max(1, inter + rv));
    }
    this.opts.onResult?.(status, durationMs, outcome);
    if (transition) this.opts.onTransition?.(transition);
  }
}
