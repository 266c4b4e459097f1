// Session and process commands: help, prompt, quit, user/operator, "show cli level|sockets",
// "set timeout cli", "show version", "show env", "show errors", "show sess", "shutdown session".
import { VERSION } from '../../version.ts';
import { parseCliTime } from './keywords.ts';
import {
  LEVEL_NAMES, Level, err, msg, needLevel, registerCliCommands, usageMessage, type CliSession,
} from './registry.ts';
import { findProxy } from './lookup.ts';
import { sessionId, sessionRows, shutdownSession } from './sessions.ts';

/** The CLI connections themselves, listed by "show sess" as HAProxy lists its applets. */
export const cliConnections = new Set<{ readonly startedAt: number; readonly src: string }>();


function sessLine(id: number, proto: string, src: string, fe: string, be: string, srv: string, ageSec: number): string {
  return `0x${id.toString(16)}: proto=${proto} src=${src} fe=${fe} be=${be} srv=${srv} ts=00 epoch=0 age=${ageSec}s calls=0 rate=0 cpu=0 lat=0\n`;
}

/** "[24/Nov/2026:17:25:34.687]" in local time, as HAProxy prints event dates. */
function eventDate(ms: number): string {
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()]!;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `[${p(d.getDate())}/${mon}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}]`;
}

function levelCommand(word: 'user' | 'operator', level: Level, usage: string) {
  return {
    words: [word],
    usage,
    run(args: readonly string[], s: CliSession) {
      if (args[1] === '-') s.noLf = true;
      const denied = needLevel(s, level);
      if (denied) return denied;
      s.level = level;
      return '';
    },
  };
}

registerCliCommands(
  { words: ['help'], usage: null, run: (args) => msg(usageMessage(args)) },
  {
    words: ['prompt'],
    usage: null,
    run(_args, s) {
      s.prompt = !s.prompt;
      return '';
    },
  },
  {
    words: ['quit'],
    usage: null,
    run(_args, s) {
      s.quit = true;
      return '';
    },
  },
  levelCommand('operator', Level.Operator, 'operator                                : lower the level of the current CLI session to operator'),
  levelCommand('user', Level.User, 'user                                    : lower the level of the current CLI session to user'),
  {
    words: ['show', 'cli', 'level'],
    usage: 'show cli level                          : display the level of the current CLI session',
    run: (_args, s) => msg(`${LEVEL_NAMES[s.level]}\n`),
  },
  {
    words: ['show', 'cli', 'sockets'],
    usage: 'show cli sockets                        : dump list of cli sockets',
    run(_args, s) {
      let out = '# socket lvl processes\n';
      for (const sock of s.rt.config.global.statsSockets) {
        const a = sock.addr;
        const where = a.kind === 'unix' ? (a.abstract ? `abns@${a.path}` : `unix@${a.path}`)
          : a.kind === 'ipv6' ? `ipv6@[${a.host}]:${a.port}` : a.kind === 'fd' ? `fd@${a.fd}` : `ipv4@${a.host}:${a.port}`;
        out += `${where} ${sock.level} all\n`;
      }
      return out;
    },
  },
  {
    words: ['set', 'timeout'],
    usage: 'set timeout [cli] <delay>               : change a timeout setting',
    run(args, s) {
      if (args[2] !== 'cli') return err("'set timeout' only supports 'cli'.\n");
      if (!args[3]) return err('Expects an integer value.\n');
      const t = parseCliTime(args[3], 's');
      if ('bad' in t || t.ms < 1) return err('Invalid timeout value.\n');
      s.timeout = t.ms;
      return '';
    },
  },
  {
    words: ['show', 'version'],
    usage: 'show version                            : show version of the current process',
    run: () => msg(`${VERSION}\n`),
  },
  {
    words: ['show', 'env'],
    usage: 'show env [var]                          : dump environment variables known to the process',
    run(args, s) {
      const denied = needLevel(s, Level.Operator);
      if (denied) return denied;
      const env = process.env;
      if (args[2]) {
        const v = env[args[2]];
        return v === undefined ? err('Variable not found\n') : `${args[2]}=${v}\n`;
      }
      let out = '';
      for (const [k, v] of Object.entries(env)) out += `${k}=${v}\n`;
      return out;
    },
  },
  {
    words: ['show', 'errors'],
    usage: 'show errors [<px>] [request|response]   : report last request and/or response errors for each proxy',
    run(args, s) {
      const denied = needLevel(s, Level.Operator);
      if (denied) return denied;
      if (args[2] && args[2] !== '-1' && args[2] !== 'request' && args[2] !== 'response' && !findProxy(s.rt, args[2])) {
        return err('No such proxy.\n');
      }
      // Turnpike does not capture invalid messages yet: the list is always empty.
      return `Total events captured on ${eventDate(Date.now())} : 0\n`;
    },
  },
  {
    words: ['show', 'sess'],
    usage: 'show sess [id]                          : report the list of current sessions or dump this exact session',
    async run(args, s) {
      const denied = needLevel(s, Level.Operator);
      if (denied) return denied;
      const now = Date.now();
      const want = args[2] && args[2] !== 'all' ? parseInt(args[2], 16) : null;
      let out = '';
      let found = false;
      // This thread's connections, then the other threads' (nbthread).
      const rows = sessionRows(s.rt);
      if (s.rt.peers) rows.push(...(await s.rt.peers.sessions()));
      for (const r of rows) {
        if (want !== null && r.id !== want) continue;
        found = true;
        out += sessLine(r.id, r.proto, r.src, r.frontend, r.backend, r.server, Math.floor((now - r.acceptDate) / 1000));
      }
      for (const c of cliConnections) {
        const id = sessionId(c);
        if (want !== null && id !== want) continue;
        found = true;
        out += sessLine(id, 'unix_stream', c.src, 'GLOBAL', '<NONE>', '<none>', Math.floor((now - c.startedAt) / 1000));
      }
      if (want !== null && !found) return err('Session not found.\n');
      return out;
    },
  },
  {
    words: ['shutdown', 'session'],
    usage: 'shutdown session [id]                   : kill a specific session',
    async run(args, s) {
      const denied = needLevel(s, Level.Admin);
      if (denied) return denied;
      const m = args[2] ? /^(?:0x)?([0-9a-fA-F]+)$/.exec(args[2]) : null;
      if (!m) return err("Session pointer expected (use 'show sess').\n");
      const id = parseInt(m[1]!, 16);
      const found = shutdownSession(s.rt, id) || (s.rt.peers !== null && (await s.rt.peers.shutdownSession(id)));
      if (!found) return err("No such session (use 'show sess').\n");
      return '';
    },
  },
);
