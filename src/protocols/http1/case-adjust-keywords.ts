// h1-case-adjust and h1-case-adjust-file (global): header names written with a given case to
// peers that do not follow RFC 9110's case-insensitivity, when a proxy sets
// "option h1-case-adjust-bogus-client" / "-server".
import { readFileSync } from 'node:fs';
import { registerGlobalKeywords } from '../../config/registry.ts';

registerGlobalKeywords(
  {
    name: 'h1-case-adjust',
    parse(g, args) {
      if (args.length !== 3) return `'h1-case-adjust' expects <from> and <to> as argument.`;
      g.caseAdjust.set(args[1]!.toLowerCase(), args[2]!);
    },
  },
  {
    name: 'h1-case-adjust-file',
    parse(g, args) {
      if (args.length !== 2) return `'h1-case-adjust-file' expects <file> as argument.`;
      let text: string;
      try {
        text = readFileSync(args[1]!, 'latin1');
      } catch {
        return `h1-headers-case-adjust-file '${args[1]}': failed to open file.`;
      }
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const words = lines[i]!.trim().split(/[ \t]+/).filter((w) => w !== '');
        if (words.length === 0 || words[0]!.startsWith('#')) continue;
        if (words.length < 2) return `h1-headers-case-adjust-file '${args[1]}' : expect <to> at line ${i + 1}.`;
        g.caseAdjust.set(words[0]!.toLowerCase(), words[1]!);
      }
    },
  },
);
