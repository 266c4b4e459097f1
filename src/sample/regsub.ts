// Regex substitution: HAProxy's exp_replace() template expansion (shared with map_regm) and
// the regsub(<regex>,<subst>[,<flags>]) converter, on the linear-time regex engine.
import { registerConverters } from './converters.ts';
import { compileRegex, foldCase } from './regex.ts';
import type { Arg } from './arg.ts';

function hexNibble(c: string): number {
  // as exp_replace(): upper-cased, then shifted past the digits, without validation
  let v = c.toUpperCase().charCodeAt(0) - 48;
  if (v > 9) v -= 7;
  return v & 0xff;
}

/**
 * exp_replace(): "\N" is group N (one digit, nothing when the group did not match), "\xHH"
 * a byte, "\c" the character c; anything else is copied. Returns null on a trailing lone
 * backslash or a truncated "\x", where HAProxy fails.
 */
export function expandReplacement(template: string, m: RegExpExecArray): string | null {
  let out = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const c = template[i]!;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= n) return null;
    const d = template[i]!;
    if (d >= '0' && d <= '9') {
      out += m[d.charCodeAt(0) - 48] ?? '';
      i++;
    } else if (d === 'x') {
      const h1 = template[i + 1];
      const h2 = template[i + 2];
      if (h1 === undefined || h2 === undefined) return null;
      out += String.fromCharCode(((hexNibble(h1) << 4) + hexNibble(h2)) & 0xff);
      i += 3;
    } else {
      out += d;
      i++;
    }
  }
  return out;
}

const regexes = new WeakMap<Arg, { re: RegExp; global: boolean }>();

/**
 * sample_conv_regsub(): replaces the first match (every match with "g"). Later searches
 * continue in the same subject, so "^" matches at its start only; an empty match at the
 * search position copies one character and moves on. <re> must have the 'g' flag.
 */
export function regsub(input: string, re: RegExp, subst: string, global: boolean): string | null {
  let out = '';
  let start = 0;
  const end = input.length;
  let found = false;
  while (end >= start) {
    if (found && !global) break;
    re.lastIndex = start;
    const m = re.exec(input);
    if (!m) break;
    out += input.slice(start, m.index);
    const rep = expandReplacement(subst, m);
    if (rep === null) return null;
    out += rep;
    const eo = m.index + m[0].length;
    if (eo === start) {
      if (start < end) out += input[start];
      start++;
    } else start = eo;
    found = true;
  }
  if (start < end) out += input.slice(start);
  return out;
}

registerConverters({
  name: 'regsub', args: { types: ['reg', 'str', 'str'], min: 2 }, in: 'str', out: 'str',
  validate: (a) => {
    let icase = false;
    let global = false;
    for (const f of a[2]?.str ?? '') {
      if (f === 'i') icase = true;
      else if (f === 'g') global = true;
      else return `invalid regex flag '${f}', only 'i' and 'g' are supported`;
    }
    if (a[0]!.str === '') return 'missing regex';
    // compileRegex() checks the pattern and gives the errors; the search needs its 'g' form
    const checked = compileRegex(a[0]!.str, icase);
    if (typeof checked === 'string') return checked;
    regexes.set(a[0]!, { re: new RegExp(icase ? foldCase(a[0]!.str) : a[0]!.str, 'lg'), global });
    return null;
  },
  fn: (smp, a) => {
    const r = regexes.get(a[0]!);
    if (!r) return null;
    const v = regsub(smp.value as string, r.re, a[1]!.str, r.global);
    if (v === null) return null;
    return smp.mayChange ? { type: 'str', value: v, mayChange: true } : { type: 'str', value: v };
  },
});
