// Logging keywords (configuration.txt 3.1 "log", "log-tag", "log-send-hostname"; 4.2 "log",
// "log-format", "log-format-sd", "error-log-format", "option tcplog/httplog/httpslog",
// "option dontlognull/dontlog-normal/log-separate-errors/log-health-checks"), and the check
// that compiles the formats once the whole configuration (modes, targets) is known.
import { hostname } from 'node:os';
import {
  ALL, BE, FE, registerGlobalKeywords, registerProxyKeywords, registerProxyOptions,
  type ParseContext, type ProxyOption,
} from '../../config/registry.ts';
import type { Diagnostics } from '../../config/diagnostics.ts';
import type { Config, GlobalConfig, ProxyConfig } from '../../config/model.ts';
import { booleanOption } from '../../runtime/proxy-keywords.ts';
import { compileLogFormat, LogOpt, type LogFormat } from '../../sample/logformat.ts';
import { PhaseBit } from '../../sample/types.ts';
import { parseLogTarget, type LogTarget } from './targets.ts';
import { predefinedFormat, type LogFormatOrigin } from './formats.ts';
import type { FormatText, ProxyLogSettings } from './settings.ts';

/** "log ..." / "no log" / "log global" into `targets`; returns an error text. */
function parseLogLine(targets: LogTarget[], args: readonly string[], ctx: ParseContext, global: GlobalConfig | null): string | undefined {
  if (ctx.negated) {
    if (args.length > 1) return `log : 'no log' does not expect arguments`;
    targets.length = 0;
    return;
  }
  if (args[1] === 'global' && args.length === 2) {
    if (!global) return `log : 'global' is not supported for a global syslog server`;
    for (const g of global.log.targets) {
      if (!targets.some((t) => t.origin === g)) targets.push(g.copy(g));
    }
    return;
  }
  const t = parseLogTarget(args, ctx.loc, global === null);
  if (typeof t === 'string') return `log : ${t}`;
  targets.push(t);
  const g = ctx.config.global.log;
  if (t.maxlen > g.maxLen) g.maxLen = t.maxlen;
}

registerGlobalKeywords(
  {
    name: 'log',
    parse(g, args, ctx) {
      return parseLogLine(g.log.targets, args, ctx, null);
    },
  },
  {
    name: 'log-tag',
    parse(g, args) {
      if (!args[1]) return `'log-tag' expects a tag for use in syslog.`;
      if (args.length > 2) return `'log-tag' cannot handle unexpected argument '${args[2]}'.`;
      g.log.tag = args[1];
    },
  },
  {
    name: 'log-send-hostname',
    parse(g, args, ctx) {
      if (g.seen.has('log-send-hostname')) ctx.diag.warning(ctx.loc, `'log-send-hostname' already specified. Continuing.`);
      g.seen.add('log-send-hostname');
      g.log.sendHostname = args[1] || hostname();
    },
  },
);

/** log-format-like keywords: one argument, kept as text until the check compiles it. */
function formatKeyword(name: 'log-format' | 'log-format-sd' | 'error-log-format', set: (l: ProxyLogSettings, f: FormatText) => void) {
  return {
    name,
    sections: ALL,
    parse(px: ProxyConfig, args: readonly string[], ctx: ParseContext) {
      if (args.length < 2) return `${name} expects an argument.`;
      if (args.length > 2) return `${name} expects only one argument, don't forget to escape spaces!`;
      if (px.kind === 'backend') {
        ctx.diag.warning(ctx.loc, `backend '${px.name}' : '${name}' directive is ignored in backends.`);
        return;
      }
      set(px.log, { text: args[1]!, loc: ctx.loc, origin: 'log-format' });
    },
  };
}

registerProxyKeywords(
  {
    name: 'log',
    sections: ALL,
    negatable: true,
    parse(px, args, ctx) {
      return parseLogLine(px.log.targets, args, ctx, ctx.config.global);
    },
  },
  {
    name: 'log-tag',
    sections: ALL,
    parse(px, args) {
      if (!args[1]) return `'log-tag' expects a tag for use in syslog.`;
      px.log.tag = args[1];
    },
  },
  formatKeyword('log-format', (l, f) => { l.format = f; }),
  formatKeyword('log-format-sd', (l, f) => { l.formatSd = f; }),
  formatKeyword('error-log-format', (l, f) => { l.errorFormat = f; }),
);

/** option tcplog / httplog [clf] / httpslog: one of HAProxy's predefined formats. */
function formatOption(name: 'tcplog' | 'httplog' | 'httpslog'): ProxyOption {
  return {
    name,
    sections: ALL,
    parse(px, args, ctx) {
      if (ctx.negated || ctx.defaulted) return `negation/default is not supported for option '${name}'.`;
      let origin: LogFormatOrigin = `option ${name}`;
      if (name === 'httplog' && args[2] !== undefined) {
        if (args[2] !== 'clf') return `keyword 'httplog' only supports option 'clf'.`;
        origin = 'option httplog clf';
        if (args.length > 3) return `'option httplog' cannot handle unexpected argument '${args[3]}'.`;
      } else if (args.length > 2) return `'option ${name}' cannot handle unexpected argument '${args[2]}'.`;
      if (px.kind === 'backend') {
        ctx.diag.warning(ctx.loc, `backend '${px.name}' : 'option ${name}' directive is ignored in backends.`);
        if (name !== 'tcplog') ctx.diag.warning(ctx.loc, `'option ${name}' not usable with backend '${px.name}' (needs 'mode http'). Falling back to 'option tcplog'.`);
        return;
      }
      px.log.format = { text: predefinedFormat(origin as Exclude<LogFormatOrigin, 'log-format'>), loc: ctx.loc, origin };
    },
  };
}

registerProxyOptions(
  formatOption('tcplog'),
  formatOption('httplog'),
  formatOption('httpslog'),
  booleanOption('dontlognull', FE),
  booleanOption('dontlog-normal', FE),
  booleanOption('log-separate-errors', FE),
  booleanOption('log-health-checks', BE),
);

/** HAProxy's proxy_type_str(): a listen section is a "proxy". */
function proxyType(px: ProxyConfig): string {
  return px.kind === 'listen' ? 'proxy' : px.kind;
}

function compile(f: FormatText, px: ProxyConfig, what: string, diag: Diagnostics): LogFormat | null {
  const lf = compileLogFormat(f.text, { proxyName: px.name, mode: px.mode, options: LogOpt.Mandatory, mergeSpaces: true }, PhaseBit.Log);
  if (typeof lf !== 'string') return lf;
  diag.alert(null, `Parsing [${f.loc.file}:${f.loc.line}]: failed to parse ${what} : ${lf}.`);
  return null;
}

/**
 * Completes every proxy's log settings (HAProxy's check_config_validity part for logs): the HTTP
 * formats fall back to tcplog outside HTTP mode, formats are compiled for the proxy's mode, the
 * tag and hostname are resolved.
 */
export function checkProxyLogging(config: Config, diag: Diagnostics): void {
  const g = config.global.log;
  for (const px of config.proxies) {
    const l = px.log;
    l.effectiveTag = l.tag ?? g.tag;
    l.hostname = g.sendHostname;
    l.maxLen = g.maxLen;
    if (px.disabled || !px.isFrontend) continue;
    let f = l.format;
    if (f && f.origin !== 'log-format' && f.origin !== 'option tcplog' && px.mode !== 'http') {
      const opt = f.origin === 'option httplog clf' ? 'option httplog' : f.origin;
      diag.warning(f.loc, `'${opt}' not usable with ${proxyType(px)} '${px.name}' (needs 'mode http'). Falling back to 'option tcplog'.`);
      f = { text: predefinedFormat('option tcplog'), loc: f.loc, origin: 'option tcplog' };
    }
    if (f) l.compiled = compile(f, px, 'log-format', diag);
    if (l.formatSd) l.compiledSd = compile(l.formatSd, px, 'log-format-sd', diag);
    if (l.errorFormat) l.compiledError = compile(l.errorFormat, px, 'error-log-format', diag);
    if (l.targets.length === 0 && (l.format || l.formatSd)) {
      diag.warning(null, `log format ignored for ${proxyType(px)} '${px.name}' since it has no log address.`);
    }
  }
}
