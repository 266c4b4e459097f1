// Keyword registries. Each module registers the keywords it implements, beside its code
// (as HAProxy's cfg_kws tables); the section parser only dispatches to these tables.
import type { Diagnostics, Loc } from './diagnostics.ts';
import type { Config, GlobalConfig, ProxyConfig } from './model.ts';

export type ProxySection = 'defaults' | 'frontend' | 'backend' | 'listen';
export type SectionName = 'global' | ProxySection | 'userlist';

export interface ParseContext {
  readonly loc: Loc;
  readonly diag: Diagnostics;
  readonly section: SectionName;
  readonly config: Config;
  /** Environment used for "$VAR" expansion; global setenv/unsetenv change it for later lines. */
  readonly env: Record<string, string | undefined>;
  /** The words of the line, keyword included (after a leading "no" was removed). */
  readonly words: readonly string[];
  /** True when the line started with "no" (negation, e.g. "no option httplog"). */
  readonly negated: boolean;
  /** True when the line started with "default" (reset to the default, e.g. "default option x"). */
  readonly defaulted: boolean;
}

/** A handler reports an error by returning its text (printed after "parsing [file:line] : "). */
export type KeywordResult = string | void;

export interface GlobalKeyword {
  readonly name: string;
  parse(global: GlobalConfig, args: readonly string[], ctx: ParseContext): KeywordResult;
}

export interface ProxyKeyword {
  readonly name: string;
  /** Sections where the keyword may appear (HAProxy's keyword matrix, configuration.txt 4.1). */
  readonly sections: readonly ProxySection[];
  /** "no <kw>" / "default <kw>" accepted (the handler reads ctx.negated / ctx.defaulted). */
  readonly negatable?: boolean;
  /** Used in a proxy lacking the capability: an alert rather than HAProxy's usual "ignored" warning. */
  readonly capStrict?: boolean;
  parse(px: ProxyConfig, args: readonly string[], ctx: ParseContext): KeywordResult;
}

export interface ProxyOption {
  readonly name: string;
  readonly sections: readonly ProxySection[];
  /** Sets (or, when ctx.negated, clears) the option; the default applies it by flag alone. */
  parse(px: ProxyConfig, args: readonly string[], ctx: ParseContext): KeywordResult;
}

const globalKeywords = new Map<string, GlobalKeyword>();
const proxyKeywords = new Map<string, ProxyKeyword>();
const proxyOptions = new Map<string, ProxyOption>();

function add<T extends { name: string }>(table: Map<string, T>, kind: string, entries: readonly T[]): void {
  for (const e of entries) {
    if (table.has(e.name)) throw new Error(`duplicate ${kind} keyword registration: ${e.name}`);
    table.set(e.name, e);
  }
}

export function registerGlobalKeywords(...entries: GlobalKeyword[]): void {
  add(globalKeywords, 'global', entries);
}
export function registerProxyKeywords(...entries: ProxyKeyword[]): void {
  add(proxyKeywords, 'proxy', entries);
}
export function registerProxyOptions(...entries: ProxyOption[]): void {
  add(proxyOptions, 'option', entries);
}

export function globalKeyword(name: string): GlobalKeyword | undefined {
  return globalKeywords.get(name);
}
export function proxyKeyword(name: string): ProxyKeyword | undefined {
  return proxyKeywords.get(name);
}
export function proxyOption(name: string): ProxyOption | undefined {
  return proxyOptions.get(name);
}
export function globalKeywordNames(): Iterable<string> {
  return globalKeywords.keys();
}
export function proxyKeywordNames(): Iterable<string> {
  return proxyKeywords.keys();
}
export function proxyOptionNames(): Iterable<string> {
  return proxyOptions.keys();
}

/** Shorthands for the sections columns of the keyword matrix. */
export const ALL: readonly ProxySection[] = ['defaults', 'frontend', 'backend', 'listen'];
export const FE: readonly ProxySection[] = ['defaults', 'frontend', 'listen'];
export const BE: readonly ProxySection[] = ['defaults', 'backend', 'listen'];
export const FE_ONLY: readonly ProxySection[] = ['frontend', 'listen'];
export const BE_ONLY: readonly ProxySection[] = ['backend', 'listen'];
export const NO_DEFAULTS: readonly ProxySection[] = ['frontend', 'backend', 'listen'];

/** Helper for keywords that take exactly `n` arguments. */
export function expectArgs(args: readonly string[], n: number, usage: string): string | undefined {
  if (args.length - 1 < n) return `'${args[0]}' expects ${usage}.`;
  if (args.length - 1 > n) return `'${args[0]}' cannot handle unexpected argument '${args[n + 1]}'.`;
  return undefined;
}
