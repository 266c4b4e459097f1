// Configuration files as HAProxy 2.6 reads them (readcfgfile() and the -f directory expansion):
// lines cut into words one at a time, "[scope]" lines, conditional blocks and the message
// directives (configuration.txt 2.4), with HAProxy's error texts.
import { readdirSync, statSync } from 'node:fs';
import { getSystemErrorMessage } from 'node:util';
import type { Diagnostics, Loc } from './diagnostics.ts';
import { evalIfCondition, type ConditionError } from './if-condition.ts';
import { isSpace, sanitizeForPrinting, tokenizeLine } from './tokenizer.ts';

export interface ConfigLine {
  readonly loc: Loc;
  readonly words: string[];
}

/** HAProxy's MAXNESTEDCONDS: reaching this many open ".if" is an error. */
const MAX_NESTED_CONDS = 100;
/** HAProxy gives up on a file after this many fatal errors. */
const MAX_FATAL = 50;

/** glibc's strerror() texts, which HAProxy prints (libuv words them differently). */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENOMEM: 'Cannot allocate memory',
};

function strerror(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code && STRERROR[err.code]) return STRERROR[err.code]!;
  if (typeof err.errno === 'number') {
    const text = getSystemErrorMessage(err.errno);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return String(err.message ?? e);
}

/** Byte order of the UTF-8 names, as alphasort() in the C locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Expands `-f` arguments: a directory stands for its non-hidden regular files named "*.cfg", in
 * byte order. HAProxy exits on the first path it cannot open, so this stops there too, with an
 * alert and no files.
 */
export function listConfigFiles(paths: readonly string[], diag: Diagnostics): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      diag.alert(null, `Cannot open configuration file/directory ${path} : ${strerror(e)}`);
      return [];
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path).sort(byteOrder);
    } catch (e) {
      diag.alert(null, `Cannot open configuration directory ${path} : ${strerror(e)}`);
      return [];
    }
    for (const name of names) {
      // HAProxy checks the first ".cfg" in the name, so "a.cfg.cfg" is not taken.
      const ext = name.indexOf('.cfg');
      if (name.startsWith('.') || ext < 0 || ext + 4 !== name.length) continue;
      const file = `${path}/${name}`;
      let isFile: boolean;
      try {
        isFile = statSync(file).isFile();
      } catch (e) {
        // HAProxy names the directory here, not the entry.
        diag.alert(null, `Cannot open configuration file ${path} : ${strerror(e)}`);
        return [];
      }
      if (isFile) files.push(file);
    }
  }
  return files;
}

/** State of one open ".if" block. */
interface CondBlock {
  /** The ".else" was seen. */
  inElse: boolean;
  /**
   * 'active': the current branch is taken; 'pending': no branch taken yet, a later ".elif" or
   * ".else" may be; 'done': a branch was taken or the enclosing block is skipped.
   */
  state: 'active' | 'pending' | 'done';
}

/** cfg_parse_scope(): checks a "[name]" line (its name has no other use). */
function checkScope(text: string, loc: Loc, diag: Diagnostics): void {
  const end = text.indexOf(']');
  if (end <= 1) {
    diag.alert(loc, 'empty scope name is forbidden.');
    return;
  }
  const bad = /[^A-Za-z0-9._:-]/.exec(text.slice(1, end));
  if (bad) {
    diag.alert(loc, `character '${bad[0]}' is not permitted in a scope name.`);
    return;
  }
  let i = end + 1;
  while (isSpace(text[i])) i++;
  if (i < text.length && text[i] !== '#') diag.alert(loc, `character '${text[i]}' is not permitted after scope declaration.`);
}

/** A condition error with the condition printed under it and a caret at the fault. */
function conditionAlert(directive: '.if' | '.elif', condition: string, err: ConditionError): string {
  // HAProxy fits "<directive> <condition>" in 80 columns.
  const shown = sanitizeForPrinting(condition, err.pos, 80 - directive.length - 1);
  return `${err.error} in '${directive}' at position ${err.pos + 1}:\n  ${directive} ${shown.text}\n  ${' '.repeat(shown.pos + directive.length + 1)}^`;
}

/**
 * Yields the configuration lines of <file> (whose content is <text>) that are not empty,
 * comments, conditional or message directives, or inside a false conditional block. Each line
 * is cut when it is pulled, so that the caller can change <env> (global "setenv") for the
 * following lines; <section> gives the ".SECTION" pseudo-variable, which the caller tracks.
 *
 * Errors are reported to <diag> as HAProxy reports them. As in HAProxy, every line is cut,
 * even in a false block (a cutting error there is still reported), and some errors stop the
 * reading of the file: ".alert", condition errors, misplaced ".elif"/".else", a misplaced or
 * argumented ".endif", an unknown directive, a NUL character, 50 fatal errors (cutting errors
 * and lines for which the caller raised an alert). The last line must end with a line feed,
 * otherwise the file is reported as possibly truncated.
 */
export function* readConfigLines(
  file: string, text: string, diag: Diagnostics, env: Record<string, string | undefined>,
  section: () => string = () => '',
): Generator<ConfigLine> {
  const lines = text === '' ? [] : text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const blocks: CondBlock[] = [];
  let lineNo = 0;
  let fatal = 0;
  // Length of the previous line when it lacked its line feed: the end of the file, or a NUL
  // (fgets() reads past it but the C string stops there).
  let unterminated = -1;

  reading: for (let n = 0; n < lines.length; n++) {
    if (unterminated >= 0) {
      diag.alert({ file, line: lineNo }, `Stray NUL character at position ${unterminated + 1}.`);
      unterminated = -1;
      break;
    }
    lineNo = n + 1;
    const loc: Loc = { file, line: lineNo };
    if (fatal >= MAX_FATAL) {
      diag.alert(loc, `too many fatal errors (${fatal}), stopping now.`);
      break;
    }
    let line = lines[n]!;
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul);
    if (nul >= 0 || (n === lines.length - 1 && !text.endsWith('\n'))) unterminated = line.length;

    let first = 0;
    while (isSpace(line[first])) first++;
    if (line[first] === '[') {
      checkScope(line.slice(first), loc, diag);
      continue;
    }

    const cut = tokenizeLine(line, env, { pseudo: { file, line: lineNo, section: section() } });
    if ('error' in cut) {
      diag.alert(loc, cut.error);
      fatal++;
      continue;
    }
    const words = cut.words;
    const keyword = words[0];
    // A line whose first word is empty (e.g. an unset "$VAR") is ignored whole.
    if (!keyword) continue;

    const top = blocks[blocks.length - 1];
    switch (keyword) {
      case '.if': {
        if (blocks.length + 1 >= MAX_NESTED_CONDS) {
          diag.alert(loc, `too many nested '.if', max is ${MAX_NESTED_CONDS}.`);
          return;
        }
        if (top && top.state !== 'active') {
          blocks.push({ inElse: false, state: 'done' });
          continue;
        }
        const cond = evalIfCondition(words.slice(1), env);
        if (typeof cond !== 'boolean') {
          diag.alert(loc, conditionAlert('.if', words.slice(1).join(' '), cond));
          return;
        }
        blocks.push({ inElse: false, state: cond ? 'active' : 'pending' });
        continue;
      }
      case '.elif': {
        if (!top) {
          diag.alert(loc, "lone '.elif' with no matching '.if'.");
          return;
        }
        if (top.inElse) {
          diag.alert(loc, "'.elif' after '.else' is not permitted.");
          return;
        }
        if (top.state !== 'pending') {
          top.state = 'done';
          continue;
        }
        const cond = evalIfCondition(words.slice(1), env);
        if (typeof cond !== 'boolean') {
          diag.alert(loc, conditionAlert('.elif', words.slice(1).join(' '), cond));
          return;
        }
        top.state = cond ? 'active' : 'pending';
        continue;
      }
      case '.else':
        if (words[1]) {
          diag.alert(loc, `Unexpected argument '${words[1]}' for '.else'.`);
          break reading;
        }
        if (!top) {
          diag.alert(loc, "lone '.else' with no matching '.if'.");
          return;
        }
        if (top.inElse) {
          diag.alert(loc, "'.else' after '.else' is not permitted.");
          return;
        }
        top.inElse = true;
        top.state = top.state === 'pending' ? 'active' : 'done';
        continue;
      case '.endif':
        if (words[1]) {
          diag.alert(loc, `Unexpected argument '${words[1]}' for '.endif'.`);
          break reading;
        }
        if (!top) {
          diag.alert(loc, "lone '.endif' with no matching '.if'.");
          break reading;
        }
        blocks.pop();
        continue;
    }

    if (top && top.state !== 'active') continue;

    if (keyword.startsWith('.')) {
      if (keyword !== '.alert' && keyword !== '.warning' && keyword !== '.notice' && keyword !== '.diag') {
        diag.alert(loc, `unknown directive '${keyword}'.`);
        break reading;
      }
      if (words[2]) {
        diag.alert(loc, `Unexpected argument '${words[2]}' for '${keyword}'. Use quotes if the message should contain spaces.`);
        continue;
      }
      const message = `'${words[1] ?? ''}'.`;
      if (keyword === '.alert') {
        diag.alert(loc, message);
        return;
      }
      if (keyword === '.warning') diag.warning(loc, message);
      else if (keyword === '.notice') diag.notice(loc, message);
      else diag.diag(loc, message);
      continue;
    }

    const alerts = diag.alerts;
    yield { loc, words };
    // A keyword the caller rejected counts as one fatal error, as in HAProxy.
    if (diag.alerts > alerts) fatal++;
  }

  if (unterminated >= 0) {
    diag.alert({ file, line: lineNo }, `Missing LF on last line, file might have been truncated at position ${unterminated + 1}.`);
  }
  if (blocks.length > 0) diag.alert({ file, line: lineNo }, "non-terminated '.if' block.");
}
