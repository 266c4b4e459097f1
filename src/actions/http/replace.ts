// The replacement strings of replace-header/-value/-path/-pathq/-uri (HAProxy's exp_replace):
// "\0".."\9" insert a capture group, "\xHH" a byte, "\<c>" the character c itself.

function hexVal(c: string | undefined): number {
  if (c === undefined) return -1;
  const n = parseInt(c, 16);
  return Number.isNaN(n) ? -1 : n;
}

/**
 * Expands `str` with the groups of `m`. A malformed "\x" escape makes the rewrite fail (null):
 * the caller leaves the value unchanged.
 */
export function expandReplacement(str: string, m: RegExpExecArray): string | null {
  if (str.indexOf('\\') < 0) return str;
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const c = str[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = str[++i];
    if (n === undefined) break;
    if (n >= '0' && n <= '9') out += m[n.charCodeAt(0) - 48] ?? '';
    else if (n === 'x') {
      const h1 = hexVal(str[i + 1]);
      const h2 = hexVal(str[i + 2]);
      if (h1 < 0 || h2 < 0) return null;
      out += String.fromCharCode(h1 * 16 + h2);
      i += 2;
    } else out += n;
  }
  return out;
}
