// Regular expressions for "-m reg" (and later regsub, http-request replace-*).
//
// Why V8's linear engine: patterns come from configuration files and pattern lists, and
// subjects come from clients. A backtracking engine lets a client stall the event loop with
// a crafted input against an innocent-looking pattern such as "^(a+)+$" (ReDoS). HAProxy
// runs PCRE with a match limit; Node has no match limit, but V8 ships a non-backtracking
// engine (the 'l' flag, enabled by --enable-experimental-regexp-engine) whose matching time
// is linear in the subject. Turnpike is started with that flag, every pattern is compiled
// once at load time with 'l', and a pattern the linear engine cannot run (backreferences,
// lookahead/lookbehind) is a configuration error naming the pattern, rather than a silent
// fallback to backtracking. The 'l' flag cannot be combined with 'i', so "-i" is done by
// case-folding the pattern text itself ('a' -> '[aA]', classes get both cases), which keeps
// the linear guarantee. (--enable-experimental-regexp-engine-on-excessive-backtracks also
// protects any regex compiled elsewhere without 'l'.)

let linearSupported: boolean | null = null;

/** Whether this Node process accepts the linear-time 'l' flag. */
export function linearEngineAvailable(): boolean {
  if (linearSupported === null) {
    try {
      new RegExp('a', 'l');
      linearSupported = true;
    } catch {
      linearSupported = false;
    }
  }
  return linearSupported;
}

// Subjects are byte strings and HAProxy's "-i" folds ASCII letters only (C locale).
function isLetter(c: string): boolean {
  return /^[A-Za-z]$/.test(c);
}

function swapCase(c: string): string {
  const l = c.toLowerCase();
  return l === c ? c.toUpperCase() : l;
}

/**
 * Reads an escape sequence starting at src[i] === '\\' (non-unicode syntax). Returns its end
 * index, and the letter it stands for when it is an identity escape of a letter ("\\y" is 'y').
 */
function readEscape(src: string, i: number): { end: number; letter: string | null; backslash?: boolean } {
  const n = src[i + 1];
  if (n === undefined) return { end: i + 1, letter: null };
  if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) return { end: i + 4, letter: null };
  if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) return { end: i + 6, letter: null };
  if (n === 'c') {
    if (/^[A-Za-z]$/.test(src[i + 2] ?? '')) return { end: i + 3, letter: null };
    // Annex B: otherwise a lone backslash
    return { end: i + 1, letter: null, backslash: true };
  }
  if (n === 'k' && src[i + 2] === '<') {
    const close = src.indexOf('>', i + 3);
    return { end: close < 0 ? src.length : close + 1, letter: null };
  }
  if ('bBdDfnrsStvwW'.includes(n)) return { end: i + 2, letter: null };
  return { end: i + 2, letter: isLetter(n) ? n : null };
}

/** One atom of a character class: its code point (null for \\d, \\w...) and end index. */
function classAtom(src: string, j: number): { end: number; code: number | null; backslash?: boolean } {
  if (src[j] !== '\\') return { end: j + 1, code: src.charCodeAt(j) };
  const n = src[j + 1];
  if (n === undefined) return { end: j + 1, code: 92 };
  const simple: Record<string, number> = { b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };
  if (n in simple) return { end: j + 2, code: simple[n]! };
  if ('dDwWsS'.includes(n)) return { end: j + 2, code: null };
  const hex = n === 'x' ? 2 : n === 'u' ? 4 : 0;
  if (hex && new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(src.slice(j + 2, j + 2 + hex))) {
    return { end: j + 2 + hex, code: parseInt(src.slice(j + 2, j + 2 + hex), 16) };
  }
  if (n === 'c') {
    const l = src[j + 2] ?? '';
    if (/^[A-Za-z0-9_]$/.test(l)) return { end: j + 3, code: l.charCodeAt(0) % 32 };
    return { end: j + 1, code: 92, backslash: true };
  }
  if (/[0-7]/.test(n)) {
    const m = /^[0-7]{1,3}/.exec(src.slice(j + 1))![0];
    const digits = parseInt(m, 8) > 255 ? m.slice(0, 2) : m;
    return { end: j + 1 + digits.length, code: parseInt(digits, 8) };
  }
  return { end: j + 2, code: n.charCodeAt(0) };
}

/** The ASCII letters of [lo, hi] in the other case, as class text. */
function swappedRanges(lo: number, hi: number): string[] {
  const out: string[] = [];
  let runStart = -1;
  let runEnd = -1;
  for (let k = Math.max(lo, 65); k <= Math.min(hi, 122); k++) {
    const ch = String.fromCharCode(k);
    if (!isLetter(ch)) continue;
    const code = swapCase(ch).charCodeAt(0);
    if (runStart >= 0 && code === runEnd + 1) runEnd = code;
    else {
      if (runStart >= 0) out.push(rangeText(runStart, runEnd));
      runStart = runEnd = code;
    }
  }
  if (runStart >= 0) out.push(rangeText(runStart, runEnd));
  return out;
}

/**
 * Rewrites a pattern so that it matches case-insensitively without the 'i' flag:
 * letters outside classes become [xX], classes get the other case of their letters and
 * of letter ranges. Escapes (\w, \x41, \p{..}) and group names are left unchanged.
 */
export function foldCase(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const e = readEscape(src, i);
      out += e.backslash ? '\\\\' : e.letter ? `[${e.letter}${swapCase(e.letter)}]` : src.slice(i, e.end);
      i = e.end;
    } else if (c === '[') {
      // character class: keep it as written, then add the other case of its letters
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') { cls += '^'; j++; }
      const extra: string[] = [];
      while (j < src.length && src[j] !== ']') {
        const a = classAtom(src, j);
        let lo = a.code;
        let hi = a.code;
        let end = a.end;
        if (src[end] === '-' && end + 1 < src.length && src[end + 1] !== ']') {
          const b = classAtom(src, end + 1);
          if (a.code !== null && b.code !== null) {
            hi = b.code;
            end = b.end;
          }
        }
        cls += a.backslash ? '\\\\' + src.slice(a.end, end) : src.slice(j, end);
        if (lo !== null && hi !== null) extra.push(...swappedRanges(lo, hi));
        j = end;
      }
      // a trailing '-' would turn the added letters into a range
      if (extra.length && cls.endsWith('-') && !cls.endsWith('\\-')) cls = cls.slice(0, -1) + '\\-';
      out += cls + extra.join('') + (j < src.length ? ']' : '');
      i = j + 1;
    } else if (c === '(' && src[i + 1] === '?' && src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
      // named group: keep the name as written
      const close = src.indexOf('>', i);
      const e = close < 0 ? src.length : close + 1;
      out += src.slice(i, e);
      i = e;
    } else if (c === '{' && /^\{\d*(,\d*)?\}/.test(src.slice(i))) {
      const m = /^\{\d*(,\d*)?\}/.exec(src.slice(i))!;
      out += m[0];
      i += m[0].length;
    } else if (isLetter(c)) {
      const sw = swapCase(c);
      out += sw.length === 1 && sw !== c ? `[${c}${sw}]` : c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function esc(code: number): string {
  const ch = String.fromCharCode(code);
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
}

function rangeText(a: number, b: number): string {
  return a === b ? esc(a) : `${esc(a)}-${esc(b)}`;
}

/** A compiled, linear-time regex. */
export interface SafeRegex {
  readonly source: string;
  readonly icase: boolean;
  test(subject: string): boolean;
  exec(subject: string): RegExpExecArray | null;
}

/**
 * Compiles <pattern> for linear-time matching, or returns an error text in HAProxy's shape
 * ("regex '<pattern>' is invalid (error=...)") or explaining why it is refused.
 */
export function compileRegex(pattern: string, icase: boolean): SafeRegex | string {
  const src = icase ? foldCase(pattern) : pattern;
  if (!linearEngineAvailable()) {
    return `regex '${pattern}' cannot be compiled: the linear-time regex engine is unavailable (Node must run with --enable-experimental-regexp-engine)`;
  }
  let re: RegExp;
  try {
    re = new RegExp(src, 'l');
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes('linear time')) {
      return `regex '${pattern}' is not supported: it cannot be matched in linear time (backreferences and lookaround assertions are refused to keep matching safe from ReDoS)`;
    }
    const short = msg.replace(/^Invalid regular expression: \/.*\/\w*: /s, '');
    return `regex '${pattern}' is invalid (error=${short})`;
  }
  return {
    source: pattern,
    icase,
    test: (s) => re.test(s),
    exec: (s) => re.exec(s),
  };
}
