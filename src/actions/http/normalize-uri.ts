// http-request normalize-uri <normalizer> (HAProxy 2.6's uri_normalizer.c and http_act.c), an
// experimental action there: it needs the global "expose-experimental-directives". The path
// normalizers work on the path without its query string; the percent-encoding and fragment
// ones on the path with it; query-sort-by-name on the query. A request without a path ("*",
// authority form) is left alone. The strict variants answer 400 to malformed escapes.
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import type { ActionParser } from './env.ts';
import { pathStart, replacePath } from './uri.ts';

// ---- normalizers (byte strings in, byte strings out; null for invalid input) -------------------

/** path-merge-slashes: runs of '/' become one. */
export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** path-strip-dot: "." segments are removed ("/a/./b" -> "/a/b", "/." -> "/"). */
export function stripDot(path: string): string {
  const segs = path.split('/');
  let out = '';
  for (let i = 0; i < segs.length; i++) {
    const last = i === segs.length - 1;
    if (segs[i] === '.') continue;
    out += last ? segs[i] : segs[i] + '/';
  }
  return out;
}

/**
 * path-strip-dotdot [full]: "/../" removes the segment before it, scanning from the end as
 * HAProxy does (so "/foo//../" only removes the empty segment). "/../" with nothing left to
 * remove stays at the start, unless <full>.
 */
export function stripDotdot(path: string, full: boolean): string {
  let out = '';
  let off = path.length - 1;
  let up = 0;
  if (off >= 2 && path.endsWith('/..')) {
    up++;
    off -= 2;
  }
  // <off> is on the last character not handled yet, a slash except at the very end
  while (off >= 0) {
    if (off >= 3 && path.startsWith('/../', off - 3)) {
      up++;
      off -= 3;
      continue;
    }
    if (up > 0) {
      // drop the slash and the segment before it, when there is one
      off--;
      if (off >= 0) {
        up--;
        off = path.lastIndexOf('/', off);
      }
    } else {
      // keep the slash (or last character) and the segment before it
      const prev = off > 0 ? path.lastIndexOf('/', off - 1) : -1;
      out = path.slice(prev + 1, off + 1) + out;
      off = prev;
    }
  }
  if (up > 0) out = (full ? '' : '/..'.repeat(up)) + '/' + out;
  return out;
}

/**
 * query-sort-by-name on "?<params>": parameters split on '&' (an empty last one dropped) and
 * sorted by the bytes of their name (before '='), equal names keeping their order.
 */
export function sortQuery(query: string): string {
  const rest = query.slice(1);
  const params = rest.split('&');
  if (rest.endsWith('&')) params.pop();
  // Array.prototype.sort is stable
  params.sort(byName);
  return query[0] + params.join('&');
}

function paramName(p: string): string {
  const eq = p.indexOf('=');
  return eq < 0 ? p : p.slice(0, eq);
}

/** Byte order of the names (code unit order on byte strings), a shorter prefix first. */
function byName(a: string, b: string): number {
  const x = paramName(a);
  const y = paramName(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/**
 * percent-to-uppercase / percent-decode-unreserved: rewrites each valid "%HH"; a '%' without
 * two hex digits is kept, or makes the input invalid (null) when <strict>.
 */
function rewriteEscapes(input: string, strict: boolean, decode: boolean): string | null {
  let out = '';
  let last = 0;
  for (let i = input.indexOf('%'); i >= 0; i = input.indexOf('%', i)) {
    const h = hexValue(input.charCodeAt(i + 1));
    const l = h < 0 ? -1 : hexValue(input.charCodeAt(i + 2));
    if (l < 0) {
      if (strict) return null;
      i++;
      continue;
    }
    const c = (h << 4) | l;
    out += input.slice(last, i) + (decode ? (isUnreserved(c) ? String.fromCharCode(c) : input.slice(i, i + 3)) : input.slice(i, i + 3).toUpperCase());
    i += 3;
    last = i;
  }
  return last === 0 ? input : out + input.slice(last);
}

/** percent-to-uppercase [strict]: "%6f" -> "%6F". */
export function percentUpper(input: string, strict: boolean): string | null {
  return rewriteEscapes(input, strict, false);
}

/** percent-decode-unreserved [strict]: "%61" -> "a"; reserved characters stay encoded. */
export function percentDecodeUnreserved(input: string, strict: boolean): string | null {
  return rewriteEscapes(input, strict, true);
}

/** fragment-strip: everything from the first '#'. */
export function fragmentStrip(input: string): string {
  const h = input.indexOf('#');
  return h < 0 ? input : input.slice(0, h);
}

/** fragment-encode: '#' becomes "%23". */
export function fragmentEncode(input: string): string {
  return input.replaceAll('#', '%23');
}

// ---- the action ------------------------------------------------------------------------------------

/** What a normalizer works on. */
const Scope = { Path: 0, PathQuery: 1, Query: 2 } as const;
type Scope = (typeof Scope)[keyof typeof Scope];

interface Normalizer {
  readonly scope: Scope;
  /** The normalized text, or null when it is invalid (strict variants). */
  readonly fn: (s: string) => string | null;
}

class NormalizeUri implements HttpAction {
  readonly name = 'normalize-uri';
  private readonly norm: Normalizer;

  constructor(norm: Normalizer) {
    this.norm = norm;
  }

  run(t: HttpRuleTarget): Verdict {
    const req = t.txn.req;
    const uri = req.uri;
    const ps = pathStart(uri);
    if (ps < 0) return Verdict.Continue;
    const q = uri.indexOf('?', ps);
    const scope = this.norm.scope;
    if (scope === Scope.Query) {
      if (q < 0) return Verdict.Continue;
      const query = uri.slice(q);
      const sorted = this.norm.fn(query)!;
      if (sorted !== query) req.uri = uri.slice(0, q) + sorted;
      return Verdict.Continue;
    }
    const text = scope === Scope.Path ? uri.slice(ps, q < 0 ? uri.length : q) : uri.slice(ps);
    const out = this.norm.fn(text);
    if (out === null) {
      // HAProxy's ACT_RET_INV: the request is a bad one
      t.reply = t.errorReply(400);
      t.setTermination('P', 'R');
      return Verdict.Reply;
    }
    if (out !== text) replacePath(req, out, scope === Scope.PathQuery);
    return Verdict.Continue;
  }
}

const NORMALIZERS: Readonly<Record<string, Normalizer>> = {
  'path-merge-slashes': { scope: Scope.Path, fn: mergeSlashes },
  'path-strip-dot': { scope: Scope.Path, fn: stripDot },
  'path-strip-dotdot': { scope: Scope.Path, fn: (p) => stripDotdot(p, false) },
  'path-strip-dotdot full': { scope: Scope.Path, fn: (p) => stripDotdot(p, true) },
  'query-sort-by-name': { scope: Scope.Query, fn: sortQuery },
  'percent-to-uppercase': { scope: Scope.PathQuery, fn: (p) => percentUpper(p, false) },
  'percent-to-uppercase strict': { scope: Scope.PathQuery, fn: (p) => percentUpper(p, true) },
  'percent-decode-unreserved': { scope: Scope.PathQuery, fn: (p) => percentDecodeUnreserved(p, false) },
  'percent-decode-unreserved strict': { scope: Scope.PathQuery, fn: (p) => percentDecodeUnreserved(p, true) },
  'fragment-strip': { scope: Scope.PathQuery, fn: fragmentStrip },
  'fragment-encode': { scope: Scope.PathQuery, fn: fragmentEncode },
};

/** The normalizers taking an option word, and that word. */
const OPTIONS: Readonly<Record<string, string>> = {
  'path-strip-dotdot': 'full', 'percent-to-uppercase': 'strict', 'percent-decode-unreserved': 'strict',
};

export const parseNormalizeUri: ActionParser = (args, i) => {
  const name = args[i];
  if (name === undefined) return 'missing argument <normalizer>';
  if (!Object.hasOwn(NORMALIZERS, name)) return `unknown normalizer '${name}'`;
  const option = Object.hasOwn(OPTIONS, name) ? OPTIONS[name]! : null;
  const next = args[i + 1];
  if (option === null || next === undefined || next === 'if' || next === 'unless') {
    return { action: new NormalizeUri(NORMALIZERS[name]!), next: i + 1 };
  }
  if (next !== option) return `unknown argument '${next}' for '${name}' normalizer`;
  return { action: new NormalizeUri(NORMALIZERS[`${name} ${option}`]!), next: i + 2 };
};
