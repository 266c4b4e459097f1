// Frontend and process limits: "disable|enable|shutdown frontend", "set maxconn frontend",
// "set maxconn global". All need the admin level. The effect (runtime/frontend-admin.ts) is
// applied here, then relayed to the process's other threads.
import { events } from '../../runtime/events.ts';
import { disableFrontend, enableFrontend, setFrontendMaxconn, setGlobalMaxconn, shutdownFrontend } from '../../runtime/frontend-admin.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import { Level, err, needLevel, registerCliCommands, type CliOutput, type CliSession } from './registry.ts';
import { frontendArg } from './lookup.ts';
import { atoi } from '../../config/units.ts';

function adminFrontend(s: CliSession, ref: string | undefined): Proxy | CliOutput {
  return needLevel(s, Level.Admin) ?? frontendArg(s.rt, ref);
}

function isProxy(x: Proxy | CliOutput): x is Proxy {
  return typeof x === 'object' && 'listeners' in x;
}

registerCliCommands(
  {
    words: ['disable', 'frontend'],
    usage: 'disable frontend <frontend>             : temporarily disable specific frontend',
    run(args, s) {
      const px = adminFrontend(s, args[2]);
      if (!isProxy(px)) return px;
      if (px.stopped) return err('Frontend was previously shut down, cannot disable.\n');
      if (px.paused) return err('All sockets are already disabled.\n');
      disableFrontend(px);
      s.rt.relay?.({ op: 'disable', frontend: px.name });
      events.warning(`Paused frontend ${px.name}.`);
      return '';
    },
  },
  {
    words: ['enable', 'frontend'],
    usage: 'enable frontend <frontend>              : re-enable specific frontend',
    async run(args, s) {
      const px = adminFrontend(s, args[2]);
      if (!isProxy(px)) return px;
      if (px.stopped) return err('Frontend was previously shut down, cannot enable.\n');
      if (!px.paused) return err('All sockets are already enabled.\n');
      const errors = await enableFrontend(px, s.rt);
      for (const e of errors) events.alert(e);
      if (errors.length > 0) return err('Failed to resume frontend, check logs for precise cause.\n');
      s.rt.relay?.({ op: 'enable', frontend: px.name });
      events.warning(`Resumed frontend ${px.name}.`);
      return '';
    },
  },
  {
    words: ['shutdown', 'frontend'],
    usage: 'shutdown frontend <frontend>            : stop a specific frontend',
    run(args, s) {
      const px = adminFrontend(s, args[2]);
      if (!isProxy(px)) return px;
      if (px.stopped) return err('Frontend was already shut down.\n');
      shutdownFrontend(px);
      s.rt.relay?.({ op: 'shutdown', frontend: px.name });
      events.warning(`Proxy ${px.name} stopped (cumulated conns: FE: ${px.counters.feTotal}, BE: ${px.counters.beTotal}).`);
      return '';
    },
  },
  {
    words: ['set', 'maxconn', 'frontend'],
    usage: "set maxconn frontend <frontend> <value> : change a frontend's maxconn setting",
    run(args, s) {
      const px = adminFrontend(s, args[3]);
      if (!isProxy(px)) return px;
      if (!args[4]) return err('Integer value expected.\n');
      const v = atoi(args[4]);
      if (v < 0) return err('Value out of range.\n');
      setFrontendMaxconn(px, v, s.rt);
      s.rt.relay?.({ op: 'maxconn', frontend: px.name, value: v });
      return '';
    },
  },
  {
    words: ['set', 'maxconn', 'global'],
    usage: "set maxconn global <value>              : change the per-process maxconn setting",
    run(args, s) {
      const denied = needLevel(s, Level.Admin);
      if (denied) return denied;
      if (!args[3]) return err('Expects an integer value.\n');
      const v = atoi(args[3]);
      if (v > s.rt.hardMaxconn) return err('Value out of range.\n');
      setGlobalMaxconn(s.rt, v);
      s.rt.relay?.({ op: 'maxconn-global', value: v });
      return '';
    },
  },
);
