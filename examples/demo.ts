// `npm start`: Turnpike on examples/demo.cfg (an HTTP frontend on 127.0.0.1:8080 balancing over
// two applications that Turnpike answers itself, and the stats page). Ctrl-C stops it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const proxy = spawn(`${root}bin/turnpike`, ['-db', '-f', `${root}examples/demo.cfg`], { stdio: 'inherit' });
console.log('Turnpike listens on http://127.0.0.1:8080/ (try curl twice) and shows its stats on http://127.0.0.1:8080/stats');
const stop = (): void => {
  proxy.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
proxy.on('exit', (code) => process.exit(code ?? 0));
