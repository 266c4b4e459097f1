// "show stat typed" / ";typed": one value per line, "<type>.<iid>.<sid>.<pos>.<name>.<process>:
// <tags>:<type>:<value>", empty fields left out (management.txt 9.2 and "show stat").
import { STAT_FIELDS } from './field-names.ts';
import { typedValue } from './fields.ts';
import { ObjType, type StatLine } from './rows.ts';

const LETTERS: Readonly<Record<ObjType, string>> = { [ObjType.Frontend]: 'F', [ObjType.Backend]: 'B', [ObjType.Server]: 'S', [ObjType.Listener]: 'L' };

export function renderTyped(lines: readonly StatLine[], withDesc = false): string {
  let out = '';
  for (const l of lines) {
    const prefix = `${LETTERS[l.type]}.${l.proxy.id}.${l.sid}.`;
    for (let i = 0; i < l.row.length; i++) {
      const f = l.row[i];
      if (!f) continue;
      const [name, desc] = STAT_FIELDS[i]!;
      out += `${prefix}${i}.${name}.1:${typedValue(f)}${withDesc ? `:"${desc}"` : ''}\n`;
    }
  }
  return out;
}
