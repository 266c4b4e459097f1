// "show stat json" / ";json": an array of lines, each an array of the non-empty fields as
// objects {objType, proxyId, id, field: {pos, name}, processNum, tags, value}.
import { STAT_FIELDS } from './field-names.ts';
import { jsonTagsAndValue } from './fields.ts';
import { ObjType, type StatLine } from './rows.ts';

const NAMES: Readonly<Record<ObjType, string>> = {
  [ObjType.Frontend]: 'Frontend', [ObjType.Backend]: 'Backend', [ObjType.Server]: 'Server', [ObjType.Listener]: 'Listener',
};

export function renderJson(lines: readonly StatLine[]): string {
  const rows: string[] = [];
  for (const l of lines) {
    const objs: string[] = [];
    const head = `{"objType":"${NAMES[l.type]}","proxyId":${l.proxy.id},"id":${l.sid},`;
    for (let i = 0; i < l.row.length; i++) {
      const f = l.row[i];
      if (!f) continue;
      objs.push(`${head}"field":{"pos":${i},"name":"${STAT_FIELDS[i]![0]}"},"processNum":1,${jsonTagsAndValue(f)}}`);
    }
    rows.push(`[${objs.join(',')}]`);
  }
  return `[${rows.join(',')}]\n`;
}
