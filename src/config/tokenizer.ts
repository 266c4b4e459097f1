// Cuts a configuration line into words exactly as HAProxy 2.6's parse_line() does with the
// options readcfgfile() passes: quotes, backslash escapes, '#' comments, "$VAR" expansion
// inside double quotes and "${VAR[*]}" word splitting (configuration.txt 2.2 and 2.3).
// Characters are UTF-16 units where HAProxy counts bytes (so "\xHH" gives U+00HH); both agree
// on ASCII text.

export type Env = Readonly<Record<string, string | undefined>>;

/** Values of the ".FILE", ".LINE" and ".SECTION" pseudo-variables at the line being cut. */
export interface PseudoVars {
  readonly file: string;
  readonly line: number;
  readonly section: string;
}

export interface TokenizeOptions {
  /** Defaults to no file, line 0 and no section, as HAProxy outside of a configuration file. */
  readonly pseudo?: PseudoVars;
  /** '#' starts a comment (default). HAProxy cuts `-cc` arguments without comments. */
  readonly comments?: boolean;
}

export type TokenizeResult = { words: string[] } | { error: string };

/** HAProxy's MAX_LINE_ARGS. */
const MAX_WORDS = 64;
/** Width of the line excerpt printed under a syntax error. */
const EXCERPT_WIDTH = 80;
const NO_PSEUDO: PseudoVars = { file: '', line: 0, section: '' };

/** C's isspace(): what separates words (a line never holds '\n', and '\r' ends it). */
export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isAlnum(c: string | undefined): boolean {
  return isAlpha(c) || (c !== undefined && c >= '0' && c <= '9');
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** getenv(): only the record's own entries count (never "constructor" from a prototype). */
export function lookupEnv(env: Env, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

/**
 * HAProxy's sanitize_for_printing(): the part of <text> worth printing around <pos> (at most
 * <width> characters, "..." marking cuts), blanks as spaces and unprintable characters as '?'.
 * Returns the excerpt and where <pos> falls in it.
 */
export function sanitizeForPrinting(text: string, pos: number, width: number): { text: string; pos: number } {
  let shift = 0;
  let from = 0;
  let room = width;
  let mark = '';
  if (pos >= width) {
    // Out of context anyway: centre the position.
    shift = pos - Math.floor(width / 2);
    from = shift + 3;
    room = width - 6;
    mark = '...';
  }
  let out = mark;
  for (let i = from; i < text.length && i < from + room; i++) {
    const c = text[i]!;
    out += isSpace(c) ? ' ' : c >= ' ' && c <= '~' ? c : '?';
  }
  return { text: out + mark, pos: pos - shift };
}

/**
 * Splits <text> into words, or returns HAProxy's error text (to be printed after
 * "parsing [file:line]: "). Leading blanks are skipped as readcfgfile() does; the line ends at
 * the first CR, LF or NUL. A word ends at an escaped NUL ("\x00"), as C strings do. A last word
 * left empty is dropped ('a ""' is one word) but an empty word before a separator stays
 * ('a "" b' and 'a "" ' both keep it).
 */
export function tokenizeLine(text: string, env: Env, options: TokenizeOptions = {}): TokenizeResult {
  const pseudo = options.pseudo ?? NO_PSEUDO;
  const comments = options.comments ?? true;
  const line = cString(text);
  let i = 0;
  while (isSpace(line[i])) i++;
  const start = i;
  // HAProxy prints the line after cutting it in place, where it may have left a NUL: the
  // excerpt stops there.
  let shownEnd = line.length;
  const fail = (what: string, at: number): TokenizeResult => {
    const shown = sanitizeForPrinting(line.slice(start, shownEnd), at - start, EXCERPT_WIDTH);
    return { error: `${what} at position ${at + 1}:\n  ${shown.text}\n  ${' '.repeat(shown.pos)}^` };
  };

  const words: string[] = [];
  let word = '';
  let squote = false;
  let dquote = false;
  let openQuote = -1;

  while (i < line.length) {
    const c = line[i]!;
    if (c === '\n' || c === '\r') break;
    if (c === '#' && comments && !squote && !dquote) break;
    if (c === '"' && !squote) {
      dquote = !dquote;
      openQuote = dquote ? i : -1;
      i++;
    } else if (c === "'" && !dquote) {
      squote = !squote;
      openQuote = squote ? i : -1;
      i++;
    } else if (c === '\\' && !squote) {
      const next = line[i + 1];
      if (next === ' ' || next === '\\' || next === "'" || next === '"' || (next === '#' && comments) || (next === '$' && dquote)) {
        word += next;
        i += 2;
      } else if (next === 't' || next === 'n' || next === 'r') {
        word += next === 't' ? '\t' : next === 'n' ? '\n' : '\r';
        i += 2;
      } else if (next === 'x') {
        if (!isHex(line[i + 2]) || !isHex(line[i + 3])) return fail('truncated or invalid hexadecimal sequence', i);
        word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        // Not an escape sequence: the backslash stays (e.g. "\1" in a regex replacement).
        word += '\\';
        i++;
      }
    } else if (isSpace(c) && !squote && !dquote) {
      while (isSpace(line[i])) i++;
      words.push(word);
      word = '';
    } else if (c === '$' && dquote) {
      // Environment variables are only expanded inside double quotes.
      i++;
      const brace = line[i] === '{' ? i++ : -1;
      if (!isAlpha(line[i]) && line[i] !== '_' && line[i] !== '.') return fail('forbidden first char in environment variable name', i);
      const nameAt = i;
      if (line[i] === '.') i++;
      while (isAlnum(line[i]) || line[i] === '_') i++;
      const name = line.slice(nameAt, i);
      let value: string | undefined;
      if (!name.startsWith('.')) value = lookupEnv(env, name);
      else if (name === '.FILE') value = pseudo.file;
      else if (name === '.LINE') value = String(pseudo.line);
      else if (name === '.SECTION') value = pseudo.section;
      else {
        shownEnd = i;
        return fail('forbidden first char in environment variable name', nameAt);
      }

      let split = false;
      if (line[i] === '[' && brace >= 0) {
        if (line[i + 1] !== '*' || line[i + 2] !== ']') return fail('truncated or invalid word expansion sequence', i);
        split = true;
        i += 3;
      }
      if (brace >= 0) {
        if (line[i] === '-') {
          // The default value is taken verbatim up to the first '}' (no quotes, no expansion).
          const close = line.indexOf('}', i);
          if (close < 0) return fail('unmatched brace in environment variable name', brace);
          value ??= line.slice(i + 1, close);
          shownEnd = Math.min(shownEnd, close);
          i = close;
        } else if (line[i] !== '}') {
          return fail('unmatched brace in environment variable name', brace);
        }
        i++;
      }
      for (let v = 0; value !== undefined && v < value.length; v++) {
        if (split && isSpace(value[v])) {
          words.push(word);
          word = '';
          while (isSpace(value[v + 1])) v++;
        } else {
          word += value[v];
        }
      }
    } else {
      word += c;
      i++;
    }
  }
  words.push(word);

  if (openQuote >= 0) return fail('unmatched quote', openQuote);
  if (words.length > MAX_WORDS) {
    // HAProxy counts the position in its output buffer, where each word ends with a NUL.
    const position = words.slice(0, MAX_WORDS - 1).reduce((n, w) => n + w.length + 1, 1);
    return { error: `too many words, truncating after word ${MAX_WORDS}, position ${position}: <${cString(words[MAX_WORDS - 1]!)}>.` };
  }
  const out = words.map(cString);
  if (out[out.length - 1] === '') out.pop();
  return { words: out };
}

function cString(word: string): string {
  const nul = word.indexOf('\0');
  return nul < 0 ? word : word.slice(0, nul);
}

/**
 * A representation of <word> that tokenizeLine() reads back as exactly <word>: the word itself
 * when nothing in it is special, otherwise single quotes, with "\'", "\n" and "\r" outside them
 * for what single quotes cannot hold. A NUL cannot be represented (it ends a word).
 */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new RangeError('a configuration word cannot contain a NUL character');
  // '[' is quoted too so that a generated line never looks like a "[scope]" declaration.
  if (word !== '' && !/[ \t\n\v\f\r#"'\\]/.test(word) && !word.startsWith('[')) return word;
  let out = '';
  let quoted = '';
  for (const c of word) {
    if (c === "'" || c === '\n' || c === '\r') {
      if (quoted !== '') out += `'${quoted}'`;
      quoted = '';
      out += c === "'" ? "\\'" : c === '\n' ? '\\n' : '\\r';
    } else {
      quoted += c;
    }
  }
  return quoted !== '' || out === '' ? `${out}'${quoted}'` : out;
}
