// "option httpchk" and the "http-check" rules (configuration.txt 4.2, HAProxy 2.6's tcpcheck.c):
// connect, send, expect, comment, disable-on-404 and send-state. Rules are parsed and compiled
// once at load; the runtime gets the final ruleset of a backend with getHttpCheckRules().
//
// As with tcp-check rulesets, each section's "http-check" lines build its own ruleset, which
// "option httpchk" selects; a proxy created from a defaults section with the option inherits
// its active ruleset until its own first "http-check" line. The request of "option httpchk
// [<meth>] <uri> [<ver>]" is an implicit send rule merged with the first explicit one (the
// later of the two overrides what it sets, headers as a whole). At the end, a
// ruleset ending with a send gets the implicit "expect status 200-399", and one not starting
// with a connect gets the implicit connect.
import { BE, registerProxyKeywords, registerProxyOptions } from '../config/registry.ts';
import type { ProxyConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import type { CheckStatus } from './health.ts';
import { parseConnect, type TcpCheckConnectRule } from './tcp-check.ts';
import { compileRegex, type SafeRegex } from '../sample/regex.ts';
import { RulesetStore, defaultExpectOptions, finalizeRules, parseExpectOption, type CommentRule } from './ruleset.ts';

interface RuleBase {
  /** Position in the ruleset as written (HAProxy's rule->index), for "at step N" messages. */
  index: number;
  comment: string | null;
}

export interface HttpCheckHeader {
  readonly name: string;
  readonly value: string;
}

export interface HttpCheckSendRule extends RuleBase {
  readonly kind: 'http-send';
  /** null: the default (OPTIONS, "/", HTTP/1.0). */
  method: string | null;
  uri: string | null;
  version: string | null;
  headers: HttpCheckHeader[];
  body: string | null;
  /** The request of the "option httpchk" line, not merged with an explicit send yet. */
  fromOption: boolean;
}

export type HttpMatch = 'str' | 'beg' | 'end' | 'sub' | 'reg';

export interface HttpHeaderPattern {
  readonly name: string;
  readonly nameMatch: HttpMatch;
  readonly nameRegex: SafeRegex | null;
  /** null: only the presence of the header is tested. */
  readonly value: string | null;
  readonly valueMatch: HttpMatch;
  readonly valueRegex: SafeRegex | null;
  /** fhdr: the whole value; hdr: each comma-separated element. */
  readonly full: boolean;
}

export type HttpExpectType = 'status' | 'rstatus' | 'hdr' | 'string' | 'rstring';

export interface HttpCheckExpectRule extends RuleBase {
  readonly kind: 'http-expect';
  readonly type: HttpExpectType;
  readonly pattern: string;
  /** status: inclusive ranges. */
  readonly codes: readonly (readonly [number, number])[];
  /** rstatus, rstring: compiled once (linear time); matched on latin1 text. */
  readonly regex: SafeRegex | null;
  /** string: the bytes to find in the body. */
  readonly data: Buffer | null;
  readonly header: HttpHeaderPattern | null;
  readonly inverse: boolean;
  readonly minRecv: number;
  readonly okStatus: CheckStatus | null;
  readonly errorStatus: CheckStatus | null;
  readonly toutStatus: CheckStatus | null;
  readonly onSuccess: string | null;
  readonly onError: string | null;
  /** Position, in the final rule list, of the first negated expect of this rule's chain. */
  head: number;
}

export type HttpCheckRule = TcpCheckConnectRule | HttpCheckSendRule | HttpCheckExpectRule;

type RawRule = HttpCheckRule | CommentRule;

const states = new RulesetStore<RawRule>();
const compiled = new WeakMap<RawRule[], { version: number; rules: HttpCheckRule[] }>();
/** Bumped on every change of any ruleset, so that compiled copies are refreshed. */
let version = 0;

/** Runs `f` the first time an http-check keyword is parsed (see RulesetStore.onFirstUse()). */
export function onFirstHttpCheckUse(f: () => void): void {
  states.onFirstUse(f);
}

/** What a proxy created from the defaults section `from` gets: its active ruleset. */
export function inheritHttpChecks(from: ProxyConfig, to: ProxyConfig): void {
  states.inherit(from, to);
}

export function httpCheckEnabled(px: ProxyConfig): boolean {
  return px.option('httpchk');
}

/**
 * The final ruleset of a proxy with "option httpchk" (null without it): the option's request
 * after the first connect, the implicit expect and connect rules, comments folded into the
 * rules that follow them, expect chains resolved.
 */
export function getHttpCheckRules(px: ProxyConfig): HttpCheckRule[] | null {
  if (!httpCheckEnabled(px)) return null;
  const st = states.get(px);
  const list = st?.list ?? st?.own ?? [];
  const cached = compiled.get(list);
  if (cached && cached.version === version) return cached.rules;
  const rules = finalizeHttpRules(list);
  compiled.set(list, { version, rules });
  return rules;
}

const IMPLICIT_EXPECT = ['http-check', 'expect', 'status', '200-399'] as const;

function finalizeHttpRules(raw: readonly RawRule[]): HttpCheckRule[] {
  const list: RawRule[] = raw.map((r) => (r.kind === 'http-send' ? { ...r, headers: [...r.headers] } : { ...r }));
  const real = (): RawRule[] => list.filter((r) => r.kind !== 'comment');
  // The option's request goes after a first connect rule.
  let rs = real();
  const first = rs[0];
  if (first?.kind === 'http-send' && first.fromOption && rs[1]?.kind === 'connect') {
    const connect = rs[1];
    list.splice(list.indexOf(first), 1);
    list.splice(list.indexOf(connect) + 1, 0, first);
    first.index = connect.index;
  }
  rs = real();
  const last = rs[rs.length - 1];
  if (!last || last.kind === 'http-send') {
    const e = parseExpect(IMPLICIT_EXPECT, 0) as HttpCheckExpectRule;
    e.index = last ? last.index : 0;
    list.push(e);
  }
  return finalizeRules(list, (r): r is HttpCheckExpectRule => r.kind === 'http-expect');
}

/** The warning for rules written without "option httpchk" (check_config_validity()). */
export function validateHttpChecks(px: ProxyConfig, diag: Diagnostics): void {
  states.warnUnused(px, diag, httpCheckEnabled(px), 'http-check', 'option httpchk');
}

// ---------------------------------------------------------------------------------------
// Adding rules (tcpcheck_add_http_rule())

function lastReal(list: readonly RawRule[]): HttpCheckRule | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i]!;
    if (r.kind !== 'comment') return r;
  }
  return undefined;
}

function firstReal(list: readonly RawRule[]): HttpCheckRule | undefined {
  for (const r of list) if (r.kind !== 'comment') return r;
  return undefined;
}

/** Later send rule `next` overrides what it sets in `base` (its headers replace base's as a whole). */
function mergeSend(base: HttpCheckSendRule, next: HttpCheckSendRule): void {
  if (next.method !== null) base.method = next.method;
  if (next.uri !== null) base.uri = next.uri;
  if (next.version !== null) base.version = next.version;
  if (next.headers.length > 0) base.headers = next.headers;
  if (next.body !== null) base.body = next.body;
}

/** The option's request: merged into the ruleset's first send rule, or put in front. */
function addOptionRequest(list: RawRule[], req: HttpCheckSendRule): void {
  let r = firstReal(list);
  if (r?.kind === 'connect') {
    const i = list.indexOf(r);
    r = firstReal(list.slice(i + 1));
  }
  if (!r || r.kind !== 'http-send') {
    list.unshift(req);
  } else if (r.fromOption) {
    list.splice(list.indexOf(r), 1);
    list.unshift(req);
  } else {
    mergeSend(r, req);
  }
}

/** An explicit rule: checks the sequence, merges a send into the option's request. */
function addExplicitRule(list: RawRule[], chk: RawRule): string | null {
  const r = lastReal(list);
  if (chk.kind !== 'comment' && r && !(r.kind === 'http-send' && r.fromOption)) {
    if (r.kind !== 'connect' && chk.kind === 'http-send') return `unable to add http-check send rule at step ${chk.index + 1} (missing connect rule).`;
    if (r.kind !== 'http-send' && r.kind !== 'http-expect' && chk.kind === 'http-expect') {
      return `unable to add http-check expect rule at step ${chk.index + 1} (missing send rule).`;
    }
    if (r.kind !== 'http-expect' && chk.kind === 'connect') return `unable to add http-check connect rule at step ${chk.index + 1} (missing expect rule).`;
  }
  if (chk.kind === 'http-send') {
    const f = firstReal(list);
    if (f?.kind === 'http-send' && f.fromOption) {
      mergeSend(f, chk);
      f.fromOption = false;
      list.splice(list.indexOf(f), 1);
      list.push(f);
      return null;
    }
  }
  list.push(chk);
  return null;
}

// ---------------------------------------------------------------------------------------
// Parsing

/** A value HAProxy reads as a log-format string: literal text only for now. */
function literal(v: string, what: string): string | null {
  return v.includes('%') ? `'${what}' : log-format strings are not supported by Turnpike yet (got '${v}')` : null;
}

function parseSend(words: readonly string[], index: number): HttpCheckSendRule | string {
  let method: string | null = null;
  let uri: string | null = null;
  let ver: string | null = null;
  let body: string | null = null;
  let comment: string | null = null;
  const headers: HttpCheckHeader[] = [];
  let host: string | null = null;
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    const v = words[i + 1] ?? '';
    switch (w) {
      case 'meth':
      case 'uri':
      case 'ver':
      case 'body':
      case 'comment':
        if (v === '') return `'${w}' expects a string as argument.`;
        if (w === 'meth') method = v;
        else if (w === 'uri') uri = v;
        else if (w === 'ver') ver = v;
        else if (w === 'body') body = v;
        else comment = v;
        i++;
        break;
      case 'uri-lf':
      case 'body-lf':
        return `'${w}' is not supported by Turnpike yet (log-format strings in http-check rules)`;
      case 'hdr': {
        const name = words[i + 1] ?? '';
        const value = words[i + 2] ?? '';
        if (name === '' || value === '') return `'${w}' expects <name> and <value> as arguments`;
        i += 2;
        const lname = name.toLowerCase();
        if (lname === 'host') {
          if (host !== null) return `'${name}' header already defined (previous value is '${host}')`;
          host = value;
        } else if (lname === 'content-length' || lname === 'transfer-encoding') {
          break;
        }
        const e = literal(value, 'hdr');
        if (e) return e;
        headers.push({ name, value });
        break;
      }
      default:
        return `expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '${w}' as argument.`;
    }
  }
  return { kind: 'http-send', index, comment, method, uri, version: ver, headers, body, fromOption: false };
}

/**
 * The request of "option httpchk [<meth>] <uri> [<ver>]". A version hiding headers
 * ("HTTP/1.1\r\nHost: x") or a body ("\r\n\r\n") still works, with HAProxy's warning.
 */
export function parseOptionRequest(args: readonly string[]): { rule: HttpCheckSendRule; warning: string | null } | string {
  const a = args[0] ?? '';
  const b = args[1] ?? '';
  let c = args[2] ?? '';
  let method: string | null = null;
  let uri: string | null = null;
  if (a !== '') {
    if (b === '') uri = a;
    else method = a;
  }
  if (b !== '') uri = b;
  let hdrText: string | null = null;
  let body: string | null = null;
  let warning: string | null = null;
  if (c !== '') {
    const h = c.indexOf('\r\n');
    const bd = c.indexOf('\r\n\r\n');
    if (bd >= 0) body = c.slice(bd + 4);
    if (h >= 0 && h !== bd) hdrText = c.slice(h + 2, bd >= 0 ? bd : undefined);
    if (h >= 0) c = c.slice(0, h);
    if (hdrText !== null || body !== null) {
      warning = "hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.";
    }
  }
  const headers: HttpCheckHeader[] = [];
  if (hdrText !== null) {
    for (const line of hdrText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) return `unable to parse the request '${hdrText}\r\n\r\n'.`;
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      const e = literal(value, 'option httpchk');
      if (e) return e;
      headers.push({ name: line.slice(0, colon), value });
    }
  }
  const rule: HttpCheckSendRule = {
    kind: 'http-send', index: 0, comment: null, method, uri, version: c === '' ? null : c, headers, body, fromOption: true,
  };
  return { rule, warning };
}

const BAD_KEYWORD = (w: string) =>
  `'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '${w}' as argument.`;

/** read_uint(): decimal digits, saturating; `end` is where it stopped. */
function readUint(s: string, at: number): { value: number; end: number } {
  let v = 0;
  let i = at;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) {
    v = Math.min(v * 10 + (s.charCodeAt(i) - 0x30), 0xffffffff);
    i++;
  }
  return { value: v, end: i };
}

/** "200,201,300-310" into inclusive ranges, or HAProxy's error. */
function parseCodes(pattern: string): [number, number][] | string {
  const out: [number, number][] = [];
  let p = 0;
  for (;;) {
    let r = readUint(pattern, p);
    const c1 = r.value;
    let c2 = c1;
    p = r.end;
    if (pattern[p] === '-') {
      r = readUint(pattern, p + 1);
      c2 = r.value;
      p = r.end;
    }
    if (c1 > c2) return `invalid range of status codes '${pattern}'`;
    out.push([c1, c2]);
    if (p >= pattern.length) return out;
    if (pattern[p] !== ',') return `invalid character '${pattern[p]}' in the list of status codes`;
    p++;
  }
}

/** "-m <meth>" after a hdr/fhdr name or value keyword. */
function matchMethod(words: readonly string[], at: number, kw: string): { method: HttpMatch; next: number } | string {
  if (words[at] !== '-m') return { method: 'str', next: at };
  const m = words[at + 1] ?? '';
  if (m === '') return `'${kw}' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')`;
  if (m !== 'str' && m !== 'beg' && m !== 'end' && m !== 'sub' && m !== 'reg') {
    return `'${kw}' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '${m}')`;
  }
  return { method: m, next: at + 2 };
}

function parseHeaderPattern(words: readonly string[], at: number): { header: HttpHeaderPattern; next: number } | string {
  const kw = words[at]!;
  const full = kw === 'fhdr';
  const nameKw = words[at + 1] ?? '';
  if (nameKw === '' || (words[at + 2] ?? '') === '' || (nameKw !== 'name' && nameKw !== 'name-lf')) {
    return `'${kw}' expects at the name keyword as first argument followed by a pattern`;
  }
  if (nameKw === 'name-lf') return `'${kw}' : 'name-lf' is not supported by Turnpike yet (log-format strings in http-check rules)`;
  const nm = matchMethod(words, at + 2, kw);
  if (typeof nm === 'string') return nm;
  const name = words[nm.next] ?? '';
  let next = nm.next;
  let value: string | null = null;
  let valueMatch: HttpMatch = 'str';
  const valueKw = words[next + 1] ?? '';
  if (valueKw === 'value' || valueKw === 'value-lf') {
    if (valueKw === 'value-lf') return `'${kw}' : 'value-lf' is not supported by Turnpike yet (log-format strings in http-check rules)`;
    const vm = matchMethod(words, next + 2, kw);
    if (typeof vm === 'string') return vm;
    valueMatch = vm.method;
    const v = words[vm.next] ?? '';
    if (v === '') return `'${kw}' expect a pattern with the value keyword`;
    value = v;
    next = vm.next;
  }
  let nameRegex: SafeRegex | null = null;
  let valueRegex: SafeRegex | null = null;
  // Header names match case-insensitively, values and bodies case-sensitively.
  if (nm.method === 'reg') {
    const re = compileRegex(name, true);
    if (typeof re === 'string') return re;
    nameRegex = re;
  }
  if (value !== null && valueMatch === 'reg') {
    const re = compileRegex(value, false);
    if (typeof re === 'string') return re;
    valueRegex = re;
  }
  return { header: { name, nameMatch: nm.method, nameRegex, value, valueMatch, valueRegex, full }, next };
}

/** One "http-check expect ..." line (words from "http-check"); a rule or an error text. */
export function parseExpect(words: readonly string[], index: number): HttpCheckExpectRule | string {
  if (!words[2]) return 'expects at least a matching pattern as arguments';
  let type: HttpExpectType | null = null;
  let pattern = '';
  let header: HttpHeaderPattern | null = null;
  let inverse = false;
  const opts = defaultExpectOptions();
  for (let i = 2; i < words.length; i++) {
    let w = words[i]!;
    let inPattern = false;
    if (w.startsWith('!')) {
      inPattern = true;
      while (w.startsWith('!')) {
        inverse = !inverse;
        w = w.slice(1);
      }
      if (w === '') w = words[++i] ?? '';
    }
    const value = words[i + 1] ?? '';
    switch (w) {
      case 'string':
      case 'rstring':
      case 'status':
      case 'rstatus':
        if (type !== null) return 'only on pattern expected';
        type = w;
        if (value === '') return `'${w}' expects a <pattern> as argument`;
        pattern = value;
        i++;
        break;
      case 'string-lf':
        if (type !== null) return 'only on pattern expected';
        if (value === '') return `'${w}' expects a <pattern> as argument`;
        return `'${w}' is not supported by Turnpike yet (log-format strings in http-check rules)`;
      case 'hdr':
      case 'fhdr': {
        if (type !== null) return 'only on pattern expected';
        const h = parseHeaderPattern(words, i);
        if (typeof h === 'string') return h;
        type = 'hdr';
        header = h.header;
        pattern = h.header.name;
        i = h.next;
        break;
      }
      case 'status-code':
        return `'${w}' is not supported by Turnpike yet (sample expressions in http-check rules)`;
      case 'custom':
        return `'${w}' is not supported by Turnpike yet`;
      default: {
        const o = parseExpectOption(w, value, inPattern, opts);
        if (typeof o === 'string') return o;
        if (!o) return BAD_KEYWORD(w);
        i++;
      }
    }
  }
  if (type === null) return 'pattern not found';
  let codes: [number, number][] = [];
  let regex: SafeRegex | null = null;
  let data: Buffer | null = null;
  if (type === 'status') {
    const c = parseCodes(pattern);
    if (typeof c === 'string') return c;
    codes = c;
  } else if (type === 'rstatus' || type === 'rstring') {
    const re = compileRegex(pattern, false);
    if (typeof re === 'string') return re;
    regex = re;
  } else if (type === 'string') {
    data = Buffer.from(pattern, 'latin1');
  }
  return {
    kind: 'http-expect', index, ...opts, type, pattern, codes, regex, data, header, inverse, head: -1,
  };
}

function parseRule(words: readonly string[], list: readonly RawRule[], index: number): RawRule | string {
  const sub = words[1] ?? '';
  let r: RawRule | string;
  switch (sub) {
    case 'connect': {
      // tcp-check's parser; the first-rule check also lets the option's request through.
      const others = list.filter((x) => !(x.kind === 'http-send' && x.fromOption));
      r = parseConnect(words, others.map((x) => ({ kind: x.kind === 'comment' ? 'comment' : x.kind === 'connect' ? 'connect' : 'send' })), index);
      break;
    }
    case 'send': r = parseSend(words, index); break;
    case 'expect': r = parseExpect(words, index); break;
    case 'comment':
      r = words[2] ? { kind: 'comment', index, comment: words[2] } : 'expects a string as argument';
      break;
    default:
      if (/^(set-var|set-var-fmt|unset-var)\(/.test(sub)) {
        return `'${words[0]} ${sub.slice(0, sub.indexOf('('))}' is not supported by Turnpike yet (variables in http-check rules).`;
      }
      return `'${words[0]}' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '${sub}'`;
  }
  return typeof r === 'string' ? `'${words[0]} ${sub}' : ${r}.` : r;
}

// ---------------------------------------------------------------------------------------
// Keywords

registerProxyKeywords({
  name: 'http-check',
  sections: BE,
  parse(px, args) {
    const sub = args[1] ?? '';
    if (sub === 'disable-on-404' || sub === 'send-state') {
      if (args.length > 2) return `'${args[0]}' cannot handle unexpected argument '${args[2]}'.`;
      if (sub === 'disable-on-404') px.httpCheckDisable404 = true;
      else px.httpCheckSendState = true;
      return;
    }
    const st = states.stateOf(px);
    const own = st.own ?? [];
    const last = own[own.length - 1];
    // The option's request does not count as a step.
    const index = !last || (last.kind === 'http-send' && last.fromOption) ? 0 : last.index + 1;
    const r = parseRule(args, own, index);
    if (typeof r === 'string') return r;
    st.own = own;
    version++;
    if (httpCheckEnabled(px)) {
      st.list = own;
      st.unused = false;
      const e = addExplicitRule(own, r);
      if (e) {
        st.list = null;
        return `'${args[0]} ${args[1]}' : ${e}.`;
      }
    } else {
      st.unused = true;
      own.push(r);
    }
  },
});

registerProxyOptions({
  name: 'httpchk',
  sections: BE,
  parse(px, args, ctx) {
    if (ctx.negated || ctx.defaulted) {
      // (sic) no space before HAProxy's colon in this one.
      ctx.diag.alert(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: negation/default is not supported for option 'httpchk'.`);
      return;
    }
    if (args.length > 5) return `'option httpchk' cannot handle unexpected argument '${args[5]}'.`;
    const req = parseOptionRequest(args.slice(2));
    if (typeof req === 'string') return `'option httpchk' : ${req}.`;
    if (req.warning) ctx.diag.warning(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: 'option httpchk' : ${req.warning}`);
    // One health check type at a time: this replaces "option tcp-check".
    px.options.delete('tcp-check');
    px.options.set('httpchk', true);
    const st = states.stateOf(px);
    st.own ??= [];
    st.list = st.own;
    st.unused = false;
    version++;
    addOptionRequest(st.own, req.rule);
  },
});
