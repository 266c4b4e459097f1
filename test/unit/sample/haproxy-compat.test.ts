// Differential checks against recorded results of the real haproxy 2.6.12 binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../../src/sample/keywords.ts';
import { proxyKeyword, type ParseContext } from '../../../src/config/registry.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { ProxyConfig, defaultServerConfig, defaultGlobal } from '../../../src/config/model.ts';
import { parseCondition } from '../../../src/sample/index.ts';
import { aclCtx, fakeProxy, fakeServer, fakeStream } from './helpers.ts';

const FIX = join(process.cwd(), 'test/fixtures/sample');

test('ACL parse errors match haproxy -c word for word', () => {
  const { cases } = JSON.parse(readFileSync(join(FIX, 'haproxy-acl-errors.json'), 'utf8')) as { cases: { acl: string; error: string | null }[] };
  const cwd = process.cwd();
  process.chdir(FIX); // HAProxy opens pattern files from its working directory
  try {
    cases.forEach(({ acl, error }, i) => {
      const name = `a${i}`;
      const loc = { file: 'x.cfg', line: i + 1 };
      const px = new ProxyConfig('f', 'frontend', loc, defaultServerConfig(loc));
      const words = ['acl', name, ...acl.split(' ')];
      const ctx: ParseContext = {
        loc, diag: new Diagnostics(), section: 'frontend', env: {}, words, negated: false, defaulted: false,
        config: { global: defaultGlobal(), defaults: [], proxies: [px], userlists: [], files: [] },
      };
      const ours = proxyKeyword('acl')!.parse(px, words, ctx);
      // the recorded text follows "error detected while parsing ACL '<name>' : " and ends with '.'
      assert.equal(ours, error === null ? undefined : `error detected while parsing ACL '${name}' : ${error}`, acl);
    });
  } finally {
    process.chdir(cwd);
  }
});

test('condition results match haproxy 2.6 on live connections', () => {
  const { cases } = JSON.parse(readFileSync(join(FIX, 'haproxy-conditions.json'), 'utf8')) as { cases: { port: number; cond: string; match: boolean }[] };
  for (const { port, cond, match } of cases) {
    const c = parseCondition(['if', ...cond.split(' ')], aclCtx());
    assert.ok(typeof c !== 'string', `${cond}: ${c as string}`);
    const i = port - 19200;
    const s = fakeStream({
      frontend: fakeProxy(`f${i}`, { id: i + 1, feConn: 1 }),
      proxies: [fakeProxy('b', { servers: [fakeServer('s')] }), fakeProxy('f1', { feConn: 0 })],
      srcAddr: '127.0.0.1', srcPort: 40000, dstAddr: '127.0.0.1', dstPort: port, env: { HOME: '/root' },
    });
    assert.equal(c.eval(s), match, cond);
  }
});
