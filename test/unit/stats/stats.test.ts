import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statLines, ALL_STATS } from '../../../src/observe/stats/dump.ts';
import { csvHeader, csvRow, renderCsv } from '../../../src/observe/stats/csv.ts';
import { renderTyped } from '../../../src/observe/stats/typed.ts';
import { renderJson } from '../../../src/observe/stats/json.ts';
import { csvValue, str } from '../../../src/observe/stats/fields.ts';
import { F } from '../../../src/observe/stats/field-names.ts';
import { serverStatusText } from '../../../src/observe/stats/status.ts';
import { infoFields, renderInfoPlain, formatUptime, INFO_FIELDS } from '../../../src/observe/stats/info.ts';
import { handleStatsRequest, isStatsRequest } from '../../../src/observe/stats/page.ts';
import { HttpHeaders, HttpRequest } from '../../../src/protocols/http1/message.ts';
import type { SampleStream } from '../../../src/sample/types.ts';
import { runtime, DEFAULTS } from './helpers.ts';

const CFG = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:9999\n  option socket-stats\n  default_backend be\n`
  + 'backend be\n  server s1 127.0.0.1:1 maxconn 5 maxqueue 7\n  server s2 127.0.0.1:2 weight 3\n  server s3 127.0.0.1:3 backup disabled\n';

function ctx(rt: ReturnType<typeof runtime>['rt'], legends = true) {
  return { rt, now: Date.now(), legends, countServers: false };
}

test('CSV: the header of HAProxy 2.6, a trailing comma on every line, quoting when needed', () => {
  const header = csvHeader();
  assert.ok(header.startsWith('# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,'));
  assert.ok(header.includes(',uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,'));
  assert.ok(header.endsWith(',h1_spliced_bytes_in,h1_spliced_bytes_out,\n'));
  assert.equal(header.split(',').length - 1, 128);
  assert.equal(csvValue(str('MOP', 'a,b "c"')), '"a,b ""c"""');
  assert.equal(csvValue(str('MOP', 'plain')), 'plain');
  assert.equal(csvValue(null), '');
});

test('lines: frontend, listener, servers, backend, with the columns each type has', () => {
  const { rt } = runtime(CFG);
  const fe = rt.proxies[0]!;
  fe.counters.feTotal = 4;
  fe.counters.bytesIn = 10;
  const be = rt.proxies[1]!;
  const lines = statLines(ctx(rt), ALL_STATS);
  assert.deepEqual(lines.map((l) => csvRow(l.row).split(',').slice(0, 2).join('/')), ['fe/FRONTEND', 'fe/sock-1', 'be/s1', 'be/s2', 'be/s3', 'be/BACKEND']);
  const [f, li, s1, s2, s3, b] = lines.map((l) => csvRow(l.row).split(','));
  assert.equal(f![F.stot], '4');
  assert.equal(f![F.bin], '10');
  assert.equal(f![F.status], 'OPEN');
  assert.equal(f![F.qcur], '');
  assert.equal(f![F.slim], String(rt.maxconn));
  assert.equal(li![F.type], '3');
  assert.equal(li![F.addr], '127.0.0.1:9999');
  assert.equal(s1![F.slim], '5');
  assert.equal(s1![F.qlimit], '7');
  assert.equal(s1![F.status], 'no check');
  assert.equal(s1![F.lastsess], '-1');
  assert.equal(s2![F.weight], '3');
  assert.equal(s3![F.status], 'MAINT');
  assert.equal(s3![F.act], '0');
  assert.equal(s3![F.bck], '1');
  assert.equal(b![F.status], 'UP');
  assert.equal(b![F.weight], '4');
  assert.equal(b![F.act], '2');
  assert.equal(b![F.algo], 'roundrobin');
  assert.equal(b![F.slim], String(be.backend!.fullconn));
  // Every line has the 127 fields plus the "-" column, then ends with a comma.
  for (const l of lines) assert.equal(csvRow(l.row).split(',').length, 129);
  // Without legends (CLI "user" level), addresses and algorithms are hidden.
  const hidden = statLines(ctx(rt, false), ALL_STATS).map((l) => csvRow(l.row).split(','));
  assert.equal(hidden[2]![F.addr], '');
  assert.equal(hidden[5]![F.algo], '');
});

test('server status words follow the state', () => {
  const { rt } = runtime(CFG);
  const [s1] = rt.proxies[1]!.backend!.servers;
  assert.equal(serverStatusText(s1!), 'no check');
  s1!.setDrain(true);
  assert.equal(serverStatusText(s1!), 'DRAIN');
  s1!.setDrain(false);
  s1!.setOpState('stopping');
  assert.equal(serverStatusText(s1!), 'NOLB');
  s1!.setOpState('down');
  assert.equal(serverStatusText(s1!), 'DOWN');
  assert.equal(s1!.counters.downTransitions, 1);
  s1!.setMaint(true);
  assert.equal(serverStatusText(s1!), 'MAINT');
  const b = statLines(ctx(rt), { ...ALL_STATS, types: 2 })[0]!;
  assert.equal(b.row[F.status]!.value, 'UP');
  const up = statLines({ ...ctx(rt), countServers: true }, { ...ALL_STATS, hideDown: true }).map((l) => l.row[F.svname]!.value);
  assert.deepEqual(up, ['FRONTEND', 'sock-1', 's2', 'BACKEND'], 'the "up" filter hides down and maintenance servers');
});

test('typed and JSON outputs carry positions, tags and types', () => {
  const { rt } = runtime(CFG);
  const lines = statLines(ctx(rt), { ...ALL_STATS, types: 1 });
  const typed = renderTyped(lines);
  assert.ok(typed.startsWith('F.1.0.0.pxname.1:KNS:str:fe\nF.1.0.1.svname.1:KNS:str:FRONTEND\nF.1.0.4.scur.1:MGP:u32:0\n'));
  assert.ok(typed.includes('\nF.1.0.17.status.1:SGP:str:OPEN\n'));
  const json = JSON.parse(renderJson(lines)) as unknown[][];
  assert.deepEqual(json[0]![0], {
    objType: 'Frontend', proxyId: 1, id: 0, field: { pos: 0, name: 'pxname' }, processNum: 1,
    tags: { origin: 'Key', nature: 'Name', scope: 'Service' }, value: { type: 'str', value: 'fe' },
  });
});

test('show info: HAProxy 2.6 field order, empty fields left out', () => {
  const { rt } = runtime(CFG);
  const text = renderInfoPlain(infoFields(rt, { cliListeners: 1, cliConns: 1 }));
  const names = text.trim().split('\n').map((l) => l.slice(0, l.indexOf(':')));
  assert.deepEqual(names.slice(0, 8), ['Name', 'Version', 'Release_date', 'Nbthread', 'Nbproc', 'Process_num', 'Pid', 'Uptime']);
  assert.ok(!names.includes('description'));
  assert.equal(names.at(-1), 'Tainted');
  assert.equal(INFO_FIELDS.length, 72);
  assert.equal(formatUptime(90061), '1d 1h01m01s');
});

test('stats page: authentication, formats, admin actions', () => {
  const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:9999\n  mode http\n  stats uri /st\n  stats auth admin:secret\n  stats refresh 5s\n  stats admin if TRUE\n  server w 127.0.0.1:1\n`;
  const { rt } = runtime(cfg);
  const px = rt.proxies[0]!;
  const stats = px.cfg.stats!;
  const stream = {} as SampleStream;
  const req = (method: string, uri: string, auth: string | null): HttpRequest => {
    const h = new HttpHeaders();
    if (auth) h.add('Authorization', `Basic ${Buffer.from(auth).toString('base64')}`);
    return new HttpRequest(method, uri, 'HTTP/1.1', h);
  };
  assert.equal(isStatsRequest(stats, req('GET', '/st;csv', null)), true);
  assert.equal(isStatsRequest(stats, req('GET', '/other', null)), false);
  const denied = handleStatsRequest(rt, px, stats, req('GET', '/st', null), null, stream);
  assert.equal(denied.res.status, 401);
  assert.equal(denied.res.headers.get('www-authenticate'), 'Basic realm="HAProxy Statistics"');
  assert.equal(handleStatsRequest(rt, px, stats, req('GET', '/st', 'admin:wrong'), null, stream).res.status, 401);
  const page = handleStatsRequest(rt, px, stats, req('GET', '/st', 'admin:secret'), null, stream);
  assert.equal(page.res.status, 200);
  assert.equal(page.res.headers.get('content-type'), 'text/html');
  assert.equal(page.res.headers.get('refresh'), '5');
  assert.match(page.body.toString(), /<select name=action>/);
  const csv = handleStatsRequest(rt, px, stats, req('GET', '/st;csv;norefresh', 'admin:secret'), null, stream);
  assert.equal(csv.res.headers.get('content-type'), 'text/plain');
  assert.equal(csv.res.headers.get('refresh'), undefined);
  assert.equal(csv.body.toString(), renderCsv(statLines(ctx(rt, false), ALL_STATS)));
  const json = handleStatsRequest(rt, px, stats, req('GET', '/st;json', 'admin:secret'), null, stream);
  assert.equal(json.res.headers.get('content-type'), 'application/json');
  const post = handleStatsRequest(rt, px, stats, req('POST', '/st', 'admin:secret'), Buffer.from(`s=w&action=maint&b=%23${px.id}`), stream);
  assert.equal(post.res.status, 303);
  assert.equal(post.res.headers.get('location'), '/st;st=DONE');
  assert.equal(px.backend!.servers[0]!.maint, true);
});
