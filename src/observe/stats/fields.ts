// A stats value with HAProxy's type information (management.txt 9.2): origin, nature and scope
// tags ("MCP": metric, counter, process) and a value type, and its CSV, typed and JSON forms.

export type FieldType = 'str' | 'u32' | 'u64' | 's32' | 's64';

export interface Field {
  /** Origin, nature and scope letters, e.g. "MCP". */
  readonly tags: string;
  readonly type: FieldType;
  readonly value: string | number;
}

export function str(tags: string, value: string): Field {
  return { tags, type: 'str', value };
}
export function u32(tags: string, value: number): Field {
  return { tags, type: 'u32', value: Math.max(0, Math.trunc(value)) >>> 0 };
}
export function u64(tags: string, value: number): Field {
  return { tags, type: 'u64', value: Math.max(0, Math.trunc(value)) };
}
export function s32(tags: string, value: number): Field {
  return { tags, type: 's32', value: Math.trunc(value) | 0 };
}

/** One stats line: a field per position, null where HAProxy leaves the column empty. */
export type Row = (Field | null)[];

/** csv_enc(): quoted only when it holds a quote, a comma or a line break; quotes doubled. */
export function csvValue(f: Field | null): string {
  if (!f) return '';
  if (f.type !== 'str') return String(f.value);
  const s = f.value as string;
  if (!/[",\r\n]/.test(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}

export function typedValue(f: Field): string {
  return `${f.tags}:${f.type}:${f.value}`;
}

const ORIGINS: Readonly<Record<string, string>> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURES: Readonly<Record<string, string>> = {
  G: 'Gauge', L: 'Limit', m: 'Min', M: 'Max', R: 'Rate', C: 'Counter', D: 'Duration', A: 'Age', T: 'Time', N: 'Name', O: 'Output', a: 'Avg',
};
const SCOPES: Readonly<Record<string, string>> = { P: 'Process', S: 'Service', s: 'System', C: 'Cluster' };

/** JSON string escaping as HAProxy's stats JSON does (quotes, backslashes, control characters). */
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The "tags" and "value" members of a JSON stats object. */
export function jsonTagsAndValue(f: Field): string {
  const t = f.tags;
  const value = f.type === 'str' ? jsonString(f.value as string) : String(f.value);
  return `"tags":{"origin":"${ORIGINS[t[0]!] ?? 'Unknown'}","nature":"${NATURES[t[1]!] ?? 'Unknown'}","scope":"${SCOPES[t[2]!] ?? 'Unknown'}"},`
    + `"value":{"type":"${f.type}","value":${value}}`;
}
