// Binding a CLI socket ("stats socket" and the master CLI) on its address.
import type { Server } from 'node:net';
import { chmodSync, chownSync, renameSync, rmSync } from 'node:fs';
import type { StatsSocketConfig } from '../../config/model.ts';

/**
 * Makes `server` listen on the socket's address: null once listening, else the error (the
 * server is then closed). A UNIX socket path gets the configured mode and owner, and is bound
 * under a temporary name then renamed over the path, so a reload never leaves it missing.
 */
export function listenCliSocket(server: Server, cfg: StatsSocketConfig): Promise<NodeJS.ErrnoException | null> {
  const a = cfg.addr;
  return new Promise((resolve) => {
    const fail = (e: NodeJS.ErrnoException): void => {
      server.close();
      resolve(e);
    };
    server.once('error', fail);
    const done = (): void => {
      server.off('error', fail);
      server.on('error', () => {});
      resolve(null);
    };
    if (a.kind === 'unix' && !a.abstract) {
      const tmp = `${a.path}.${process.pid}.tmp`;
      rmSync(tmp, { force: true });
      server.listen({ path: tmp }, () => {
        try {
          if (cfg.unixMode !== null) chmodSync(tmp, cfg.unixMode);
          if (cfg.unixUid !== null || cfg.unixGid !== null) chownSync(tmp, cfg.unixUid ?? -1, cfg.unixGid ?? -1);
          renameSync(tmp, a.path);
          done();
        } catch (e) {
          rmSync(tmp, { force: true });
          fail(e as NodeJS.ErrnoException);
        }
      });
    } else if (a.kind === 'unix') {
      server.listen({ path: `\0${a.path}` }, done);
    } else if (a.kind === 'fd') {
      server.listen({ fd: a.fd }, done);
    } else {
      server.listen({ host: a.host, port: a.port }, done);
    }
  });
}
