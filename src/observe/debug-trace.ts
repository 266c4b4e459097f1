// "-d" (debug mode): as HAProxy, every stream's events go to stdout, one line each, prefixed by
// the stream's number: the accepted connection, the request line and headers, the response
// status line and headers, and the closes, with the file descriptors of both sides:
//   00000000:fe.accept(0004)=000c from [127.0.0.1:55434] ALPN=<none>
//   00000000:fe.clireq[000c:ffffffff]: GET /x HTTP/1.1
//   00000000:be.srvrep[000c:000d]: HTTP/1.1 200 OK
//   00000000:be.closed[000c:000d]
// Off unless -d is given: each hook is one boolean test on the hot path.
import type { Conn } from '../protocols/tcp/conn.ts';
import type { HttpHeaders } from '../protocols/http1/message.ts';
import { threads } from '../runtime/threads/context.ts';

export const debugTrace = { on: false };

let nextId = 0;
let pending: string[] = [];
let flushQueued = false;

/** Turns the trace on; the banner is printed once per process (by the main thread). */
export function enableDebugTrace(banner: boolean): void {
  debugTrace.on = true;
  if (banner) process.stdout.write('Using epoll() as the polling mechanism.\n');
}

/** A number for a new stream (HAProxy's uniq_id), unique in the process: threads take turns in the sequence. */
export function traceId(): number {
  return nextId++ * threads.count + threads.index;
}

/** The descriptor of a socket (a TLS socket's is its transport's), -1 when closed or unknown. */
export function fdOf(sock: Conn | null | undefined): number {
  if (!sock) return -1;
  const s = sock as unknown as { _handle?: { fd?: number } | null; _parent?: { _handle?: { fd?: number } | null } | null };
  const fd = s._handle?.fd ?? s._parent?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Lines of one event loop turn leave in one write. */
function emit(line: string): void {
  pending.push(line);
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(flush);
}

function flush(): void {
  flushQueued = false;
  const text = pending.join('');
  pending = [];
  process.stdout.write(text);
}

function id8(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

/** A descriptor as HAProxy prints it: 16 bits in close lines, a full int in request/response lines. */
function fd4(fd: number, wide: boolean): string {
  if (fd < 0) return wide ? 'ffffffff' : 'ffff';
  return fd.toString(16).padStart(4, '0');
}

export function traceAccept(id: number, frontend: string, listenerFd: number, clientFd: number, src: string, port: number, alpn: string | null): void {
  emit(`${id8(id)}:${frontend}.accept(${fd4(listenerFd, false)})=${fd4(clientFd, false)} from [${src}:${port}] ALPN=${alpn ?? '<none>'}\n`);
}

function headLines(id: number, proxy: string, tag: string, cfd: number, sfd: number, first: string, h: HttpHeaders): void {
  const p = `${id8(id)}:${proxy}.`;
  const fds = `[${fd4(cfd, false)}:${fd4(sfd, true)}]: `;
  let out = `${p}${tag}req${fds}${first}\n`;
  for (let i = 0; i < h.length; i++) out += `${p}${tag}hdr${fds}${h.lowerName(i)}: ${h.values[i]}\n`;
  emit(out);
}

/** The request as received (clireq/clihdr lines), under the frontend's name. */
export function traceRequest(id: number, frontend: string, cfd: number, sfd: number, line: string, h: HttpHeaders): void {
  headLines(id, frontend, 'cli', cfd, sfd, line, h);
}

/** The response as received from the server (srvrep/srvhdr lines), under the backend's name. */
export function traceResponse(id: number, backend: string, cfd: number, sfd: number, line: string, h: HttpHeaders): void {
  const p = `${id8(id)}:${backend}.`;
  const fds = `[${fd4(cfd, false)}:${fd4(sfd, false)}]: `;
  let out = `${p}srvrep${fds}${line}\n`;
  for (let i = 0; i < h.length; i++) out += `${p}srvhdr${fds}${h.lowerName(i)}: ${h.values[i]}\n`;
  emit(out);
}

/** The end of a stream: both sides closed (clicls, srvcls) and the stream gone (closed). */
export function traceClose(id: number, proxy: string, cfd: number, sfd: number): void {
  const fds = `[${fd4(cfd, false)}:${fd4(sfd, false)}]\n`;
  const p = `${id8(id)}:${proxy}.`;
  emit(`${p}clicls${fds}${p}srvcls${fds}${p}closed${fds}`);
}
