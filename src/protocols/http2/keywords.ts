// The global tune.h2.* keywords of HAProxy 2.6 (configuration.txt 3.2), and
// h2-workaround-bogus-websocket-clients (3.1). HAProxy reads tune.h2.* values with atoi(), so
// "abc" is 0 and "1k" is 1; its range checks and messages are kept.
import { expectArgs, registerGlobalKeywords, type GlobalKeyword } from '../../config/registry.ts';
import { atoi } from '../../config/units.ts';

/** The numeric settings, one per tune.h2.* keyword. */
type H2Number = 'headerTableSize' | 'initialWindowSize' | 'maxConcurrentStreams' | 'maxFrameSize';

function h2Keyword(name: string, key: H2Number, min: number, max: number): GlobalKeyword {
  const range = max === 0x7fffffff ? 'a positive numeric value' : `a numeric value between ${min} and ${max}`;
  return {
    name,
    parse(g, args) {
      // A missing value reads as "" (atoi gives 0), as HAProxy's args[1] would.
      const tooMany = args.length > 2 ? expectArgs(args, 1, '') : undefined;
      if (tooMany) return tooMany;
      const v = atoi(args[1] ?? '');
      if (v < min || v > max) return `'${name}' expects ${range}.`;
      g.h2[key] = v;
    },
  };
}

/** Stops announcing RFC 8441 websockets (SETTINGS_ENABLE_CONNECT_PROTOCOL) to clients that mishandle them. */
const websocketWorkaround: GlobalKeyword = {
  name: 'h2-workaround-bogus-websocket-clients',
  parse(g, args, ctx) {
    if (ctx.negated || ctx.defaulted) {
      // HAProxy 2.6 refuses the prefix before looking at the keyword, with a location of its own.
      ctx.diag.alert(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.`);
      return;
    }
    const e = expectArgs(args, 0, '');
    if (e) return e;
    g.h2.extendedConnect = false;
  },
};

registerGlobalKeywords(
  websocketWorkaround,
  h2Keyword('tune.h2.header-table-size', 'headerTableSize', 4096, 65536),
  h2Keyword('tune.h2.initial-window-size', 'initialWindowSize', 0, 0x7fffffff),
  h2Keyword('tune.h2.max-concurrent-streams', 'maxConcurrentStreams', 0, 0x7fffffff),
  h2Keyword('tune.h2.max-frame-size', 'maxFrameSize', 16384, 16777215),
);
