// Server commands: "disable|enable server|health|agent", "set server", "set weight",
// "get weight", "set maxconn server", "shutdown sessions server". All but "get weight" need
// the admin level.
import { isIP } from 'node:net';
import type { Proxy } from '../../runtime/proxy.ts';
import type { Server } from '../../runtime/server.ts';
import { serverHealthCheck } from '../../runtime/server-health.ts';
import { Level, err, msg, needLevel, registerCliCommands, type CliOutput, type CliSession } from './registry.ts';
import { findServer } from './lookup.ts';
import {
  changeWeight, enterMaintenance, forceHealth, killServerSessions, leaveMaintenance, setAdminState,
} from './server-admin.ts';

/** Level check then server lookup: the server, or what to print. */
function adminServer(s: CliSession, ref: string | undefined, level: Level = Level.Admin): { px: Proxy; server: Server } | CliOutput {
  const denied = needLevel(s, level);
  if (denied) return denied;
  return findServer(s.rt, ref);
}

function isOutput(x: unknown): x is CliOutput {
  return typeof x === 'string' || (typeof x === 'object' && x !== null && 'severity' in x);
}

const SET_SERVER_USAGE = 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';

function validPort(text: string | undefined): number | 'nan' | 'invalid' {
  if (!text || !/^-?\d+$/.test(text)) return 'nan';
  const n = Number(text);
  return n < 1 || n > 65535 ? 'invalid' : n;
}

/** "set server <b>/<s> addr <ip> [port <port>]", reported as HAProxy's update_server_addr_port(). */
function setAddr(server: Server, args: readonly string[]): CliOutput {
  const ip = args[4];
  if (!ip) return err('set server <b>/<s> addr requires an address and optionally a port.\n');
  if (!isIP(ip)) return err(`Invalid addr '${ip}' by 'stats socket command'\n`);
  const t = server.target;
  if (!t || !('host' in t)) return err(`Invalid addr '${ip}' by 'stats socket command'\n`);
  const parts: string[] = [];
  let host = t.host;
  let port = t.port;
  if (ip === t.host) parts.push('no need to change the addr');
  else {
    parts.push(`IP changed from '${t.host}' to '${ip}'`);
    host = ip;
  }
  if (args[5] === 'port') {
    const p = args[6] ?? '';
    if (!/^\d+$/.test(p)) parts.push(`problem converting port '${p}' to an int`);
    else if (Number(p) === t.port) parts.push('no need to change the port');
    else {
      parts.push(`port changed from '${t.port}' to '${p}'`);
      port = Number(p);
    }
  }
  server.target = { host, port, offset: t.offset };
  return msg(`${parts.join(', ')} by 'stats socket command'\n`);
}

function setServer(args: readonly string[], s: CliSession): CliOutput {
  const found = adminServer(s, args[2]);
  if (isOutput(found)) return found;
  const { px, server } = found;
  const be = px.backend!;
  const check = serverHealthCheck(server);
  switch (args[3]) {
    case 'state': {
      const st = args[4];
      if (st !== 'ready' && st !== 'drain' && st !== 'maint') return err("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
      setAdminState(be, server, st);
      return '';
    }
    case 'weight': {
      const e = changeWeight(be, server, args[4]);
      return e ? err(e) : '';
    }
    case 'health': {
      const h = args[4];
      if (h !== 'up' && h !== 'stopping' && h !== 'down') return err("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
      forceHealth(be, server, h);
      return '';
    }
    case 'agent':
    case 'agent-send':
      return err('agent checks are not enabled on this server.\n');
    case 'agent-addr':
    case 'agent-port':
      return err('agent checks are not enabled on this server');
    case 'addr':
      return setAddr(server, args);
    case 'check-port': {
      if (!args[4]) return err('set server <b>/<s> check-port requires a port.\n');
      const p = validPort(args[4]);
      if (p === 'nan') return err('provided port is not an integer');
      if (p === 'invalid') return err('provided port is invalid');
      if (!check) return err('health checks are not enabled on this server');
      server.cfg.check.port = p;
      return '';
    }
    case 'check-addr': {
      const a = args[4];
      if (!a) return err('set server <b>/<s> check-addr requires an address and optionally a port.\n');
      if (!isIP(a)) return err(`invalid addr '${a}'`);
      let port: number | null = null;
      if (args[5] === 'port') {
        const p = validPort(args[6]);
        if (p === 'nan') return err('provided port is not an integer');
        if (p === 'invalid') return err('provided port is invalid');
        port = p;
      }
      if (!check) return err('health checks are not enabled on this server');
      server.cfg.check.addr = a;
      if (port !== null) server.cfg.check.port = port;
      return '';
    }
    case 'fqdn':
      return err('set server <b>/<s> fqdn failed because no resolution is configured.\n');
    case 'ssl':
      return err("'set server <srv> ssl' cannot be set.  default-server should define ssl settings\n");
    default:
      return err(SET_SERVER_USAGE);
  }
}

registerCliCommands(
  {
    words: ['disable', 'server'],
    usage: "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      enterMaintenance(found.px.backend!, found.server);
      return '';
    },
  },
  {
    words: ['enable', 'server'],
    usage: "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      leaveMaintenance(found.px.backend!, found.server);
      return '';
    },
  },
  {
    words: ['disable', 'health'],
    usage: 'disable health                          : disable health checks',
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      serverHealthCheck(found.server)?.setEnabled(false);
      return '';
    },
  },
  {
    words: ['enable', 'health'],
    usage: 'enable health                           : enable health checks',
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      const check = serverHealthCheck(found.server);
      if (!check) return err('Health check was not configured on this server, cannot enable.\n');
      check.setEnabled(true);
      return '';
    },
  },
  {
    words: ['disable', 'agent'],
    usage: 'disable agent                           : disable agent checks',
    run(args, s) {
      // No agent checks in Turnpike: clearing their enabled state changes nothing, as in HAProxy.
      const found = adminServer(s, args[2]);
      return isOutput(found) ? found : '';
    },
  },
  {
    words: ['enable', 'agent'],
    usage: 'enable agent                            : enable agent checks',
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      return err('Agent was not configured on this server, cannot enable.\n');
    },
  },
  {
    words: ['set', 'server'],
    usage: "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
    run: setServer,
  },
  {
    words: ['set', 'weight'],
    usage: "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
    run(args, s) {
      const found = adminServer(s, args[2]);
      if (isOutput(found)) return found;
      const e = changeWeight(found.px.backend!, found.server, args[3]);
      return e ? err(e) : '';
    },
  },
  {
    words: ['get', 'weight'],
    usage: "get weight <bk>/<srv>                   : report a server's current weight",
    run(args, s) {
      const found = findServer(s.rt, args[2]);
      if (isOutput(found)) return found;
      return msg(`${found.server.uweight} (initial ${found.server.cfg.weight})\n`);
    },
  },
  {
    words: ['set', 'maxconn', 'server'],
    usage: "set maxconn server <bk>/<srv>           : change a server's maxconn setting",
    run(args, s) {
      const found = adminServer(s, args[3]);
      if (isOutput(found)) return found;
      const v = args[4];
      if (!v) return err('Require <maxconn>.\n');
      const m = /^(-?\d+)(.*)$/.exec(v);
      if (!m) return err('maxconn string empty or preceded by garbage');
      if (m[2] !== '') return err('Trailing garbage in maxconn string');
      found.server.setMaxconn(Math.max(0, Number(m[1])));
      return '';
    },
  },
  {
    words: ['shutdown', 'sessions', 'server'],
    usage: 'shutdown sessions server <bk>/<srv>     : kill sessions on a server',
    run(args, s) {
      const found = adminServer(s, args[3]);
      if (isOutput(found)) return found;
      killServerSessions(found.server);
      return '';
    },
  },
);
