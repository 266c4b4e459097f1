// Builds a Runtime from configuration text without starting it (no socket is bound).
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import { Runtime } from '../../../src/runtime/runtime.ts';
import { events } from '../../../src/runtime/events.ts';

export const DEFAULTS = 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';

/** Parses `text`; returns the diagnostics' message texts and the config. */
export function parse(text: string): { messages: string[]; diag: Diagnostics; config: ReturnType<typeof parseConfigText> } {
  const diag = new Diagnostics();
  const config = parseConfigText('t.cfg', text, diag, {});
  return { messages: diag.messages.map((m) => m.text), diag, config };
}

/** A runtime for `text`, with state change messages collected in `logged`. */
export function runtime(text: string): { rt: Runtime; logged: string[] } {
  const { diag, config, messages } = parse(text);
  if (diag.alerts) throw new Error(messages.join('\n'));
  const logged: string[] = [];
  events.configure({ quiet: false, writer: (l) => logged.push(l) });
  const rt = new Runtime(config, 4096);
  for (const p of rt.proxies) for (const s of p.backend?.servers ?? []) s.target = { host: '127.0.0.1', port: 9000 + s.id, offset: false };
  return { rt, logged };
}
