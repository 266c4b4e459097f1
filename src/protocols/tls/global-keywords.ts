// The global TLS keywords (configuration.txt 3.1 and 3.2): defaults for bind and server
// lines (ssl-default-bind-*, ssl-default-server-*), ca-base/crt-base, ssl-server-verify and
// tune.ssl.default-dh-param, with HAProxy's messages.
import { expectArgs, registerGlobalKeywords, type GlobalKeyword } from '../../config/registry.ts';
import type { GlobalConfig } from '../../config/model.ts';
import { versionOption, type DefaultTlsOptions, type GlobalTls } from './settings.ts';

type Key = 'bindCiphers' | 'bindCiphersuites' | 'bindCurves' | 'serverCiphers' | 'serverCiphersuites';

/** A keyword taking one cipher (or curve) list. */
function list(name: string, key: Key, what: string): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      if (args.length < 2) return `global statement '${name}' expects ${what}.`;
      const e = expectArgs(args, 1, '');
      if (e) return e;
      g.tls[key] = args[1]!;
    },
  };
}

/** ssl-default-bind-options / ssl-default-server-options. */
function defaultOptions(name: string, pick: (t: GlobalTls) => DefaultTlsOptions, bind: boolean): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      if (args.length < 2) return `global statement '${name}' expects an option as an argument.`;
      const o = pick(g.tls);
      for (let i = 1; i < args.length; i++) {
        const opt = args[i]!;
        if (opt === 'no-tls-tickets') {
          o.noTlsTickets = true;
          continue;
        }
        if (bind && opt === 'prefer-client-ciphers') {
          o.preferClientCiphers = true;
          continue;
        }
        const r = versionOption(o.versions, opt, args[i + 1]);
        if (!r) return `unknown option '${opt}' on global statement '${name}'.`;
        if ('error' in r) return `${r.error} on global statement '${name}'.`;
        i += r.used;
      }
    },
  };
}

function baseDir(name: 'ca-base' | 'crt-base', key: 'caBase' | 'crtBase'): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      if (g.tls[key] !== null) return `'${name}' already specified.`;
      if (args.length < 2) return `global statement '${name}' expects a directory path as an argument.`;
      const e = expectArgs(args, 1, '');
      if (e) return e;
      g.tls[key] = args[1]!;
    },
  };
}

function setServerVerify(g: GlobalConfig, v: string | undefined): string | void {
  if (v === 'none' || v === 'required') g.tls.serverVerify = v;
  else if (v === undefined) return `'ssl-server-verify' expects an integer argument.`;
  else return `'ssl-server-verify' expects 'none' or 'required' as argument.`;
}

registerGlobalKeywords(
  list('ssl-default-bind-ciphers', 'bindCiphers', 'a cipher suite as an argument'),
  list('ssl-default-bind-ciphersuites', 'bindCiphersuites', 'a cipher suite as an argument'),
  list('ssl-default-bind-curves', 'bindCurves', 'a curves suite as an arguments'),
  list('ssl-default-server-ciphers', 'serverCiphers', 'a cipher suite as an argument'),
  list('ssl-default-server-ciphersuites', 'serverCiphersuites', 'a cipher suite as an argument'),
  defaultOptions('ssl-default-bind-options', (t) => t.bind, true),
  defaultOptions('ssl-default-server-options', (t) => t.server, false),
  baseDir('ca-base', 'caBase'),
  baseDir('crt-base', 'crtBase'),
  {
    name: 'ssl-server-verify',
    parse(g, args) {
      const e = args.length > 2 ? expectArgs(args, 1, '') : undefined;
      return e ?? setServerVerify(g, args[1]);
    },
  },
  {
    name: 'tune.ssl.default-dh-param',
    parse(g, args) {
      if (args.length < 2) return `'tune.ssl.default-dh-param' expects an integer argument.`;
      const e = expectArgs(args, 1, '');
      if (e) return e;
      // atoi(): leading digits, 0 otherwise.
      const n = Number(/^\s*\d*/.exec(args[1]!)![0] || 0);
      if (n < 1024) return `'tune.ssl.default-dh-param' expects a value >= 1024.`;
      g.tls.dhParamBits = n;
    },
  },
);
