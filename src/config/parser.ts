// Sections and dispatch: text lines → registries → the Config model, then the checks that
// need the whole configuration (names, references, timeouts), as HAProxy's cfgparse.c.
import { readFileSync } from 'node:fs';
import type { Diagnostics, Loc } from './diagnostics.ts';
import { readConfigLines, type ConfigLine } from './reader.ts';
import {
  globalKeyword, proxyKeyword,
  type ParseContext, type ProxySection, type SectionName,
} from './registry.ts';
import { defaultGlobal, defaultServerConfig, ProxyConfig, type Config, type Userlist } from './model.ts';
import { unsupportedSectionMessage, unknownKeywordMessage } from './unsupported.ts';
import { removedKeyword } from './known-keywords.ts';
import { parseUserlistLine } from './userlist.ts';
import { openHttpErrorsSection, parseHttpErrorsLine, type HttpErrorsSection } from '../protocols/http1/errors.ts';
import { validateConfig } from './validate.ts';
// Modules that register keywords (imported for their side effect on the registries).
import './global-keywords.ts';
import '../runtime/proxy-keywords.ts';
import '../runtime/bind-keywords.ts';
import '../runtime/server-keywords.ts';
import '../runtime/switching-keywords.ts';
import '../runtime/http-keywords.ts';
import '../actions/tcp-rules.ts';
import '../actions/http-rules.ts';
import '../lb/keywords.ts';
import '../sample/keywords.ts';
import '../checks/keywords.ts';
import '../runtime/persistence-keywords.ts';
import '../observe/log/keywords.ts';
import '../observe/log/unique-id.ts';
import '../observe/cli/keywords.ts';
import '../observe/stats/stats-keywords.ts';
import '../protocols/tls/global-keywords.ts';
import '../protocols/http2/keywords.ts';
import '../runtime/threads/fetches.ts';

const PROXY_SECTIONS: ReadonlySet<string> = new Set(['defaults', 'frontend', 'backend', 'listen']);

type Current =
  | { kind: 'none' }
  | { kind: 'global' }
  | { kind: 'proxy'; px: ProxyConfig }
  | { kind: 'userlist'; ul: Userlist }
  | { kind: 'http-errors'; sec: HttpErrorsSection }
  | { kind: 'skipped' };

/** Parses the given files (already expanded from -f arguments) into a validated Config. */
export function parseConfigFiles(files: readonly string[], diag: Diagnostics, env: Record<string, string | undefined>): Config {
  const config: Config = { global: defaultGlobal(), defaults: [], proxies: [], userlists: [], files: [...files] };
  const state = { current: { kind: 'none' } as Current, lastDefaults: null as ProxyConfig | null };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      diag.alert(null, `Could not open configuration file ${file} : ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
      continue;
    }
    const before = diag.alerts;
    // Each file starts outside any section, as in HAProxy.
    state.current = { kind: 'none' };
    for (const line of readConfigLines(file, text, diag, env)) parseLine(line, config, state, diag, env);
    if (diag.alerts > before) diag.alert(null, `Error(s) found in configuration file : ${file}`);
  }
  if (diag.alerts === 0) validateConfig(config, diag);
  return config;
}

/** Parses configuration text given directly (tests, embedded configs). */
export function parseConfigText(name: string, text: string, diag: Diagnostics, env: Record<string, string | undefined> = process.env): Config {
  const config: Config = { global: defaultGlobal(), defaults: [], proxies: [], userlists: [], files: [name] };
  const state = { current: { kind: 'none' } as Current, lastDefaults: null as ProxyConfig | null };
  for (const line of readConfigLines(name, text, diag, env)) parseLine(line, config, state, diag, env);
  if (diag.alerts > 0) diag.alert(null, `Error(s) found in configuration file : ${name}`);
  else validateConfig(config, diag);
  return config;
}

interface ParseState {
  current: Current;
  lastDefaults: ProxyConfig | null;
}

function parseLine(line: ConfigLine, config: Config, state: ParseState, diag: Diagnostics, env: Record<string, string | undefined>): void {
  const words = line.words;
  const first = words[0]!;
  if (first === 'global' || PROXY_SECTIONS.has(first) || first === 'userlist') {
    openSection(line, config, state, diag);
    return;
  }
  if (first === 'http-errors') {
    const sec = openHttpErrorsSection(config, words, line.loc, diag);
    state.current = sec ? { kind: 'http-errors', sec } : { kind: 'skipped' };
    return;
  }
  const unsupported = unsupportedSectionMessage(first);
  if (unsupported) {
    diag.alert(line.loc, unsupported);
    state.current = { kind: 'skipped' };
    return;
  }
  const cur = state.current;
  switch (cur.kind) {
    case 'none':
      diag.alert(null, `parsing [${line.loc.file}:${line.loc.line}]: unknown keyword '${first}' out of section.`);
      return;
    case 'skipped':
      return;
    case 'global':
      return parseGlobalLine(line, config, diag, env);
    case 'proxy':
      return parseProxyLine(line, cur.px, config, diag, env);
    case 'userlist': {
      const err = parseUserlistLine(cur.ul, words);
      if (err) diag.alert(line.loc, err);
      return;
    }
    case 'http-errors':
      return parseHttpErrorsLine(cur.sec, words, line.loc, diag, config.global.bufsize);
  }
}

/** Strips a leading "no"/"default" prefix, as HAProxy's cfg parser does before dispatching. */
function prefixFlags(words: readonly string[]): { words: readonly string[]; negated: boolean; defaulted: boolean } {
  if (words[0] === 'no' && words.length > 1) return { words: words.slice(1), negated: true, defaulted: false };
  if (words[0] === 'default' && words.length > 1) return { words: words.slice(1), negated: false, defaulted: true };
  return { words, negated: false, defaulted: false };
}

/** Keywords HAProxy 2.x only recognises to reject (or ignore) them, with its own message. */
function reportRemoved(section: 'global' | 'proxy', line: ConfigLine, diag: Diagnostics): boolean {
  const r = removedKeyword(section, line.words);
  if (!r) return false;
  const where = r.tight ? `parsing [${line.loc.file}:${line.loc.line}]: ` : `parsing [${line.loc.file}:${line.loc.line}] : `;
  if (r.level === 'ALERT') diag.alert(null, where + r.message(line.words));
  else diag.warning(null, where + r.message(line.words));
  return true;
}

/** The global keywords HAProxy 2.6 accepts with "no"/"default" (its cfg_parse_global). */
const GLOBAL_NEGATABLE = new Set(['log', 'busy-polling', 'set-dumpable', 'strict-limits', 'insecure-fork-wanted', 'numa-cpu-mapping']);

function parseGlobalLine(line: ConfigLine, config: Config, diag: Diagnostics, env: Record<string, string | undefined>): void {
  if (reportRemoved('global', line, diag)) return;
  const { words, negated, defaulted } = prefixFlags(line.words);
  const kw = globalKeyword(words[0]!);
  if (!kw) {
    diag.alert(line.loc, unknownKeywordMessage('global', words[0]!));
    return;
  }
  if ((negated || defaulted) && !GLOBAL_NEGATABLE.has(words[0]!)) {
    diag.alert(null, `parsing [${line.loc.file}:${line.loc.line}]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.`);
    return;
  }
  const ctx: ParseContext = { loc: line.loc, diag, section: 'global', config, env, words, negated, defaulted };
  const err = kw.parse(config.global, words, ctx);
  if (err) diag.alert(line.loc, err);
}

function parseProxyLine(line: ConfigLine, px: ProxyConfig, config: Config, diag: Diagnostics, env: Record<string, string | undefined>): void {
  if (reportRemoved('proxy', line, diag)) return;
  const { words, negated, defaulted } = prefixFlags(line.words);
  const name = words[0]!;
  const kw = proxyKeyword(name);
  if (!kw) {
    diag.alert(line.loc, unknownKeywordMessage(px.kind, name));
    return;
  }
  if (!kw.sections.includes(px.kind)) {
    if (px.kind === 'defaults') {
      diag.alert(line.loc, `'${name}' not allowed in 'defaults' section.`);
      return;
    }
    // A frontend-only keyword in a backend (or the reverse) is ignored with a warning,
    // except where ignoring it would change what traffic goes where.
    const missing = px.kind === 'frontend' ? 'backend' : 'frontend';
    if (kw.capStrict) diag.alert(line.loc, `'${name}' not allowed because ${px.kind} '${px.name}' has no ${missing} capability.`);
    else diag.warning(line.loc, `'${name}' ignored because ${px.kind} '${px.name}' has no ${missing} capability.`);
    return;
  }
  if ((negated || defaulted) && !kw.negatable) {
    diag.alert(line.loc, `'${line.words[0]}' is not supported for keyword '${name}'.`);
    return;
  }
  const ctx: ParseContext = { loc: line.loc, diag, section: px.kind, config, env, words, negated, defaulted };
  const err = kw.parse(px, words, ctx);
  if (err) diag.alert(line.loc, err);
}

const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

function openSection(line: ConfigLine, config: Config, state: ParseState, diag: Diagnostics): void {
  const [kind, ...rest] = line.words as [SectionName, ...string[]];
  const loc = line.loc;
  if (kind === 'global') {
    if (rest.length > 0) diag.alert(loc, `'global' cannot handle unexpected argument '${rest[0]}'.`);
    state.current = { kind: 'global' };
    return;
  }
  if (kind === 'userlist') {
    const name = rest[0];
    if (!name) {
      diag.alert(loc, `'userlist' expects <name> as arguments.`);
      state.current = { kind: 'skipped' };
      return;
    }
    const dup = config.userlists.find((u) => u.name === name);
    if (dup) diag.alert(loc, `userlist '${name}' has the same name as another userlist declared at ${dup.loc.file}:${dup.loc.line}.`);
    const ul: Userlist = { name, loc, users: new Map(), groups: new Map() };
    config.userlists.push(ul);
    state.current = { kind: 'userlist', ul };
    return;
  }
  // Proxy sections: "<kind> [<name>] [from <defaults>]"; the name is mandatory except for defaults.
  let name = '';
  let fromName: string | null = null;
  let i = 0;
  if (rest[0] !== undefined && rest[0] !== 'from') name = rest[i++]!;
  if (rest[i] === 'from') {
    fromName = rest[i + 1] ?? null;
    if (!fromName) diag.alert(loc, `'${kind}' : missing name for 'from' keyword.`);
    i += 2;
  }
  if (rest[i] !== undefined) diag.alert(loc, `'${kind} ${name}' cannot handle unexpected argument '${rest[i]}'.`);
  if (!name && kind !== 'defaults') {
    diag.alert(loc, `'${kind}' expects <name> as argument.`);
  }
  if (name && !NAME_RE.test(name)) {
    const bad = [...name].find((c) => !NAME_RE.test(c));
    diag.alert(loc, `character '${bad}' is not permitted in '${kind}' name '${name}'.`);
  }
  const px = new ProxyConfig(name, kind as ProxySection, loc, defaultServerConfig(loc));
  let from: ProxyConfig | null = state.lastDefaults;
  if (fromName) {
    from = findDefaults(config, fromName, loc);
    if (!from) diag.alert(loc, `${kind} '${name}': unable to find defaults section '${fromName}'.`);
  }
  if (from) {
    px.inheritFrom(from);
    inheritHooks.forEach((h) => h(from, px));
  }
  if (kind === 'defaults') {
    if (name) {
      const dup = config.defaults.find((d) => d.name === name);
      if (dup) diag.alert(loc, `Parsing [${loc.file}:${loc.line}]: defaults section '${name}' has the same name as another defaults section declared at ${dup.loc.file}:${dup.loc.line}.`);
    }
    config.defaults.push(px);
    state.lastDefaults = px;
  } else {
    if (name) checkDuplicateProxy(config, px, diag);
    config.proxies.push(px);
  }
  state.current = { kind: 'proxy', px };
}

function findDefaults(config: Config, name: string, before: Loc): ProxyConfig | null {
  for (let i = config.defaults.length - 1; i >= 0; i--) {
    const d = config.defaults[i]!;
    if (d.name === name && d.loc !== before) return d;
  }
  return null;
}

function checkDuplicateProxy(config: Config, px: ProxyConfig, diag: Diagnostics): void {
  for (const other of config.proxies) {
    if (other.name !== px.name) continue;
    // Names must be unique among proxies sharing a capability (a frontend and a backend may share one).
    if ((other.isFrontend && px.isFrontend) || (other.isBackend && px.isBackend)) {
      diag.alert(null, `Parsing [${px.loc.file}:${px.loc.line}]: ${px.kind} '${px.name}' has the same name as ${other.kind} '${other.name}' declared at ${other.loc.file}:${other.loc.line}.`);
      return;
    }
  }
}

/** Modules keeping per-proxy settings outside the model (e.g. tcp-check rules) inherit them here. */
const inheritHooks: ((from: ProxyConfig, to: ProxyConfig) => void)[] = [];
export function onInheritDefaults(hook: (from: ProxyConfig, to: ProxyConfig) => void): void {
  inheritHooks.push(hook);
}
