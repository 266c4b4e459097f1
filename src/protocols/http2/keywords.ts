// The global tune.h2.* keywords of HAProxy 2.6 (configuration.txt 3.2). HAProxy reads their
// value with atoi(), so "abc" is 0 and "1k" is 1; its range checks and messages are kept.
import { expectArgs, registerGlobalKeywords, type GlobalKeyword } from '../../config/registry.ts';
import type { H2GlobalSettings } from './settings.ts';
import { atoi } from '../../config/units.ts';

function h2Keyword(name: string, key: keyof H2GlobalSettings, min: number, max: number): GlobalKeyword {
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

registerGlobalKeywords(
  h2Keyword('tune.h2.header-table-size', 'headerTableSize', 4096, 65536),
  h2Keyword('tune.h2.initial-window-size', 'initialWindowSize', 0, 0x7fffffff),
  h2Keyword('tune.h2.max-concurrent-streams', 'maxConcurrentStreams', 0, 0x7fffffff),
  h2Keyword('tune.h2.max-frame-size', 'maxFrameSize', 16384, 16777215),
);
