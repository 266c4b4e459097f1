// The error responses a proxy sends: errorfile, errorfiles, errorloc/errorloc302/errorloc303
// and http-error (configuration.txt 4.2), the "http-errors" section (3.8), and the lookup the
// stream uses: the backend's page, else the frontend's, else HAProxy's built-in one.
import type { Diagnostics, Loc } from '../../config/diagnostics.ts';
import { registerProxyKeywords, ALL } from '../../config/registry.ts';
import type { Config, ProxyConfig } from '../../config/model.ts';
import { PhaseBit, type SampleStream } from '../../sample/types.ts';
import type { HttpReply } from '../../actions/http-rule-target.ts';
import { atol, parseHttpReply, ReplyKind, ReplyTemplate } from '../../actions/http/reply.ts';
import {
  builtinErrorBytes, builtinPage, errorlocPage, HTTP_ERR_CODES, isErrCode, loadErrorfile, pageReply, type ErrorPage,
} from './error-pages.ts';

/** An "http-errors <name>" section: pages by status. */
export interface HttpErrorsSection {
  readonly name: string;
  readonly loc: Loc;
  readonly pages: Map<number, ErrorPage>;
}

/**
 * One error directive of a proxy, kept in order and resolved once every http-errors section
 * is known (HAProxy's conf.errors, applied by proxy_check_errors).
 */
export type ErrorDirective =
  /** errorfile, errorloc, http-error; a null reply resets the status to the default page. */
  | { readonly kind: 'reply'; readonly status: number; readonly reply: ReplyTemplate | null }
  /** errorfiles <name> [<code>...], http-error ... errorfiles <name>: `explicit` codes warn when missing. */
  | { readonly kind: 'section'; readonly name: string; readonly codes: readonly number[] | null; readonly loc: Loc };

function pageTemplate(status: number, page: ErrorPage, loc: Loc): ReplyTemplate {
  return new ReplyTemplate({
    kind: ReplyKind.Page, status, ctype: null, hdrs: [], raw: Buffer.alloc(0), fmt: null, page, section: null, loc,
  });
}

/** HAProxy's message index of a status: statuses without a page of their own use 500's. */
function errIndex(status: number): number {
  return isErrCode(status) ? status : 500;
}

function customReply(px: ProxyConfig | null, idx: number): ReplyTemplate | undefined {
  return px?.errorReplies.get(idx);
}

/**
 * The error reply for `status`: the backend's page (errorfile, errorfiles, http-error,
 * errorloc) when it has one, else the frontend's, else the built-in page. A fresh response
 * head every time (after-response rules may rewrite it).
 */
export function streamErrorReply(fe: ProxyConfig, be: ProxyConfig | null, status: number, s: SampleStream): HttpReply {
  const idx = errIndex(status);
  const tpl = customReply(be, idx) ?? customReply(fe, idx);
  if (tpl) {
    const r = tpl.build(s);
    if (r.silent) r.res.status = status;
    return r;
  }
  return pageReply(builtinPage(idx));
}

/** errorReply() for one proxy, as in "the error page of this proxy" (no frontend/backend pair). */
export function errorReply(px: ProxyConfig, status: number, s: SampleStream): HttpReply {
  return streamErrorReply(px, null, status, s);
}

/**
 * Fast path for errors the stream raises itself (400, 408, 500, 502, 503, 504): the
 * pre-serialised built-in page when neither proxy has its own for that status, else null
 * (then use streamErrorReply). The bytes are what HAProxy writes to an HTTP/1.1 client.
 */
export function fastErrorBytes(fe: ProxyConfig, be: ProxyConfig | null, status: number): Buffer | null {
  const idx = errIndex(status);
  if (customReply(be, idx) || customReply(fe, idx)) return null;
  return builtinErrorBytes(idx);
}

// ---- post-parse resolution --------------------------------------------------------------

/**
 * Applies a proxy's error directives in order (after parsing, when every http-errors section
 * is known). Reports unknown sections and codes missing from a section as HAProxy does.
 */
export function resolveErrorPages(px: ProxyConfig, config: Config, diag: Diagnostics): void {
  px.errorReplies.clear();
  for (const d of px.errorDirectives) {
    if (d.kind === 'reply') {
      if (d.reply) px.errorReplies.set(d.status, d.reply);
      else px.errorReplies.delete(d.status);
      continue;
    }
    const sec = findSection(config, d.name);
    if (!sec) {
      diag.alert(null, `proxy '${px.name}': unknown http-errors section '${d.name}' (at ${d.loc.file}:${d.loc.line}).`);
      continue;
    }
    for (const code of d.codes ?? HTTP_ERR_CODES) {
      const page = sec.pages.get(code);
      if (page) px.errorReplies.set(code, pageTemplate(code, page, d.loc));
      else if (d.codes) {
        diag.warning(null, `config: proxy '${px.name}' : status '${code}' not declared in http-errors section '${sec.name}' (at ${d.loc.file}:${d.loc.line}).`);
      }
    }
  }
}

/** Resolves an "errorfiles <name>" reply of a rule (deny/return/tarpit ... errorfiles <name>). */
export function resolveRuleReply(tpl: ReplyTemplate, px: ProxyConfig, config: Config, diag: Diagnostics): void {
  if (tpl.kind !== ReplyKind.ErrorFiles) return;
  const sec = findSection(config, tpl.section!);
  if (!sec) {
    diag.alert(null, `Proxy '${px.name}': unknown http-errors section '${tpl.section}' referenced by an http reply .`);
    return;
  }
  const page = sec.pages.get(errIndex(tpl.status)) ?? null;
  if (!page) diag.warning(null, `Proxy '${px.name}': status '${tpl.status}' referenced by an http reply not declared in http-errors section '${sec.name}'.`);
  tpl.resolve(page);
}

function findSection(config: Config, name: string): HttpErrorsSection | undefined {
  return config.httpErrors?.find((s) => s.name === name);
}

// ---- the http-errors section ------------------------------------------------------------

const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/**
 * "http-errors <name>": returns the new section, or null when the line is so wrong that the
 * section cannot be opened (HAProxy then stops reading the file).
 */
export function openHttpErrorsSection(config: Config, words: readonly string[], loc: Loc, diag: Diagnostics): HttpErrorsSection | null {
  const name = words[1];
  if (!name) {
    diag.alert(loc, 'missing name for http-errors section.');
    return null;
  }
  if (!NAME_RE.test(name)) {
    const bad = [...name].find((c) => !NAME_RE.test(c));
    diag.alert(loc, `character '${bad}' is not permitted in '${words[0]}' name '${name}'.`);
  }
  const dup = findSection(config, name);
  if (dup) diag.alert(null, `parsing [${loc.file}:${loc.line}]: http-errors section '${name}' already exists (declared at ${dup.loc.file}:${dup.loc.line}).`);
  const sec: HttpErrorsSection = { name, loc, pages: new Map() };
  (config.httpErrors ??= []).push(sec);
  return sec;
}

/** A line inside an http-errors section: only "errorfile <code> <file>". */
export function parseHttpErrorsLine(sec: HttpErrorsSection, words: readonly string[], loc: Loc, diag: Diagnostics, bufsize: number): void {
  if (words[0] !== 'errorfile') {
    diag.alert(loc, `unknown keyword '${words[0]}' in 'http-errors' section`);
    return;
  }
  if (!words[1] || !words[2]) {
    diag.alert(loc, `${words[0]}: expects <status_code> and <file> as arguments.`);
    return;
  }
  const status = atol(words[1]);
  if (!isErrCode(status)) {
    diag.alert(loc, `${words[0]} : status code '${status}' not handled.`);
    return;
  }
  const page = loadErrorfile(words[2], bufsize, (t) => diag.warning(null, t));
  if (typeof page === 'string') {
    diag.alert(loc, `${words[0]} : ${page}`);
    return;
  }
  sec.pages.set(status, page);
}

// ---- proxy keywords ------------------------------------------------------------------------

registerProxyKeywords(
  {
    name: 'errorfile',
    sections: ALL,
    parse(px, args, ctx) {
      if (!args[1] || !args[2]) return `${args[0]} : expects <status_code> and <file> as arguments.\n`;
      const status = atol(args[1]);
      if (!isErrCode(status)) return `${args[0]} : status code '${status}' not handled.`;
      const page = loadErrorfile(args[2], ctx.config.global.bufsize, (t) => ctx.diag.warning(null, t));
      if (typeof page === 'string') return `${args[0]} : ${page}`;
      px.errorDirectives.push({ kind: 'reply', status, reply: pageTemplate(status, page, ctx.loc) });
    },
  },
  {
    name: 'errorfiles',
    sections: ALL,
    parse(px, args, ctx) {
      if (!args[1]) return `${args[0]} : expects <name> as argument.`;
      let codes: number[] | null = null;
      if (args.length > 2) {
        codes = [];
        for (const a of args.slice(2)) {
          const status = atol(a);
          if (!isErrCode(status)) return `${args[0]} : status code '${status}' not handled.`;
          codes.push(status);
        }
      }
      px.errorDirectives.push({ kind: 'section', name: args[1], codes, loc: ctx.loc });
    },
  },
  ...(['errorloc', 'errorloc302', 'errorloc303'] as const).map((name) => ({
    name,
    sections: ALL,
    parse(px: ProxyConfig, args: readonly string[], ctx: { loc: Loc }) {
      if (!args[1] || !args[2]) return `${args[0]} : expects <status_code> and <url> as arguments.\n`;
      const status = atol(args[1]);
      if (!isErrCode(status)) return `${args[0]} : status code '${status}' not handled.`;
      const page = errorlocPage(name === 'errorloc303' ? 303 : 302, args[2]);
      if (typeof page === 'string') return `${args[0]} : ${page}`;
      px.errorDirectives.push({ kind: 'reply', status, reply: pageTemplate(status, page, ctx.loc) });
      return undefined;
    },
  })),
  {
    name: 'http-error',
    sections: ALL,
    parse(px, args, ctx) {
      const r = parseHttpReply(args, 1, {
        loc: ctx.loc,
        proxyName: px.name,
        // "http-error" pages serve request and response errors alike
        phase: PhaseBit.L7ReqFe | PhaseBit.L7ReqBe | PhaseBit.L7Res,
        bufsize: ctx.config.global.bufsize,
        warn: (t) => ctx.diag.warning(ctx.loc, t),
      }, 0);
      if (typeof r === 'string') return `${args[0]} : ${r}`;
      const tpl = r.tpl;
      if (tpl.status === 0) return `${args[0]} : expects at least a <status> as arguments.\n`;
      if (!isErrCode(tpl.status)) return `${args[0]}: status code '${tpl.status}' not handled.`;
      if (args[r.next] !== undefined) return `${args[0]} : unknown keyword '${args[r.next]}'.`;
      if (tpl.kind === ReplyKind.ErrorFiles) {
        px.errorDirectives.push({ kind: 'section', name: tpl.section!, codes: [tpl.status], loc: ctx.loc });
      } else {
        px.errorDirectives.push({ kind: 'reply', status: tpl.status, reply: tpl.kind === ReplyKind.Default ? null : tpl });
      }
    },
  },
);
