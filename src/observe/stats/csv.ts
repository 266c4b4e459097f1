// "show stat" / ";csv": HAProxy 2.6's CSV, one header line naming every field (the static
// ones, a "-" column, then the stats modules' fields), then one line per object; every line
// ends with a comma.
import { STAT_FIELDS, STATIC_FIELD_COUNT } from './field-names.ts';
import { csvValue, type Row } from './fields.ts';
import type { StatLine } from './rows.ts';

export function csvHeader(): string {
  let out = '# ';
  for (let i = 0; i < STAT_FIELDS.length; i++) {
    if (i === STATIC_FIELD_COUNT) out += '-,';
    out += `${STAT_FIELDS[i]![0]},`;
  }
  return `${out}\n`;
}

export function csvRow(row: Row): string {
  let out = '';
  for (let i = 0; i < row.length; i++) {
    if (i === STATIC_FIELD_COUNT) out += '-,';
    out += `${csvValue(row[i]!)},`;
  }
  return `${out}\n`;
}

export function renderCsv(lines: readonly StatLine[]): string {
  let out = csvHeader();
  for (const l of lines) out += csvRow(l.row);
  return out;
}
