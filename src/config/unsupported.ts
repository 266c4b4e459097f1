// Messages for words the registries do not know: HAProxy's own texts for removed keywords
// and typos (with its "did you mean" suggestion), and a clear "not supported yet" for
// keywords HAProxy has but Turnpike does not implement yet, never a silent no-op.
import {
  BIND_OPTIONS, GLOBAL_KEYWORDS, PROXY_KEYWORDS, PROXY_OPTIONS, SECTION_NAMES, SERVER_OPTIONS, notSupportedYet,
} from './known-keywords.ts';
import { suggestHaproxyKeyword } from './suggest.ts';

const IMPLEMENTED_SECTIONS: ReadonlySet<string> = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist']);

function maybe(s: string | null): string {
  return s ? `; did you mean '${s}' maybe ?` : '';
}

/** A section keyword HAProxy knows but Turnpike does not implement yet; null otherwise. */
export function unsupportedSectionMessage(word: string): string | null {
  if (!SECTION_NAMES.has(word) || IMPLEMENTED_SECTIONS.has(word)) return null;
  return `'${word}' sections are not supported by Turnpike yet.`;
}

export function unknownKeywordMessage(section: string, kw: string): string {
  const known = section === 'global' ? GLOBAL_KEYWORDS.has(kw) : PROXY_KEYWORDS.has(kw);
  if (known) return `${notSupportedYet(kw)}.`;
  return `unknown keyword '${kw}' in '${section}' section${maybe(suggestHaproxyKeyword(section === 'global' ? 'global' : 'proxy', kw))}`;
}

export function unknownOptionMessage(name: string): string {
  if (PROXY_OPTIONS.has(name)) return `'option ${name}' is a HAProxy option that Turnpike does not support yet.`;
  const s = suggestHaproxyKeyword('option', name);
  return s ? `unknown option '${name}'${maybe(s)}` : `unknown option '${name}'.`;
}

export function unknownBindOptionMessage(label: string, section: string, opt: string): string {
  if (BIND_OPTIONS.has(opt)) return `'${label}' : '${opt}' is a HAProxy bind option that Turnpike does not support yet.`;
  const s = suggestHaproxyKeyword('bind', opt);
  return `'${label}' in section '${section}': unknown keyword '${opt}'${s ? maybe(s) : '.'}`;
}

export function unknownServerOptionMessage(label: string, opt: string): string {
  if (SERVER_OPTIONS.has(opt)) return `${label} : '${opt}' is a HAProxy server option that Turnpike does not support yet.`;
  const s = suggestHaproxyKeyword('server', opt);
  return `${label} : unknown keyword '${opt}'${s ? maybe(s) : '.'}`;
}
