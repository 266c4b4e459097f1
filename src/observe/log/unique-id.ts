// unique-id-format / unique-id-header (configuration.txt 4.2) and the "unique-id" fetch: an
// identifier built once per request (HTTP) or connection (TCP) from a log-format string, sent
// to the server in a header and logged as %ID, so that one request can be followed from the
// client through the proxy's log to the server's. As in HAProxy, an HTTP request gets its ID as
// soon as it is parsed; elsewhere it is built on first use (a fetch, the log line).
import { ALL, registerProxyKeywords } from '../../config/registry.ts';
import type { Diagnostics } from '../../config/diagnostics.ts';
import type { Config, ProxyConfig } from '../../config/model.ts';
import { compileLogFormat, LogOpt, renderLogFormat } from '../../sample/logformat.ts';
import { registerFetches, str } from '../../sample/fetch.ts';
import { PhaseBit, type SampleStream } from '../../sample/types.ts';
import type { StreamLog } from './loggable.ts';

registerProxyKeywords(
  {
    name: 'unique-id-format',
    sections: ALL,
    parse(px, args, ctx) {
      if (args.length < 2) return 'unique-id-format expects an argument.';
      if (args.length > 2) return "unique-id-format expects only one argument, don't forget to escape spaces!";
      px.log.uniqueIdFormat = { text: args[1]!, loc: ctx.loc, origin: 'log-format' };
    },
  },
  {
    name: 'unique-id-header',
    sections: ALL,
    parse(px, args) {
      if (args.length < 2) return 'unique-id-header expects an argument.';
      if (args.length > 2) return `'unique-id-header' cannot handle unexpected argument '${args[2]}'.`;
      px.log.uniqueIdHeader = args[1]!;
    },
  },
);

/** Compiles each frontend's unique-id-format (request phase: what the request carries may be used). */
export function checkUniqueIds(config: Config, diag: Diagnostics): void {
  for (const px of config.proxies) {
    const f = px.log.uniqueIdFormat;
    if (!f || !px.isFrontend) continue;
    const lf = compileLogFormat(f.text, { proxyName: px.name, mode: px.mode, options: LogOpt.Mandatory, mergeSpaces: true }, PhaseBit.L7ReqFe);
    if (typeof lf === 'string') diag.alert(null, `Parsing [${f.loc.file}:${f.loc.line}]: failed to parse unique-id : ${lf}.`);
    else px.log.compiledUniqueId = lf;
  }
}

/** The stream's unique ID, built now if the frontend has a format and it was not built yet; null without a format. */
export function uniqueIdOf(s: SampleStream & { readonly logs: StreamLog; readonly frontend: { readonly cfg: ProxyConfig } }): string | null {
  const l = s.logs;
  if (l.uniqueId !== null) return l.uniqueId;
  const f = s.frontend.cfg.log.compiledUniqueId;
  if (!f) return null;
  l.uniqueId = renderLogFormat(f, s);
  return l.uniqueId;
}

registerFetches({
  name: 'unique-id', out: 'str', use: 'l4cli',
  fn: (s) => {
    const id = s.uniqueId?.() ?? null;
    return id === null ? null : str(id);
  },
});
