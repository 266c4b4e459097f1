import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUserlist, crypt, passwordHashProblem, verifyPassword } from '../../../src/config/crypt.ts';

test('crypt(3) MD5, SHA-256 and SHA-512 as glibc writes them (openssl passwd vectors)', () => {
  assert.equal(crypt('secret', '$1$abc'), '$1$abc$iCQ2D3nhptRYi27fDYv2s1');
  assert.equal(crypt('secret', '$5$abc'), '$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0');
  assert.equal(crypt('secret', '$6$abc'), '$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1');
  assert.equal(crypt('', '$1$'), '$1$$qRPK7m23GJusamGpoGLby/');
  assert.equal(crypt('a'.repeat(100), '$6$x'), '$6$x$WpTAO0OCjrfq5WnqjJEljeDvcsu0PNdWCxGeUJLDmClf1Zt0W.xoNd1qL42H0.kWnv4lgR66OqWGYd8pDW6v41');
  // the salt is cut at 16 characters; vectors from Drepper's SHA-crypt specification
  assert.equal(crypt('Hello world!', '$6$saltstring12345678'),
    '$6$saltstring123456$5.oYWF2Pzf4p2H4r/xfoyF3Cpy1wux4rS0OpVguEFda1uuKJyxwgXGarcKXA44HoXzSAzHvvbLL2ih5WDPHLb0');
  assert.equal(crypt('Hello world!', '$5$rounds=10000$saltstringsaltstring'), '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA');
  assert.equal(crypt('x', '$2b$10$abc'), null);
});

test('verifyPassword and unsupported schemes', () => {
  assert.equal(verifyPassword('$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1', 'secret'), true);
  assert.equal(verifyPassword('$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1', 'Secret'), false);
  assert.equal(verifyPassword('$y$j9T$abc$def', 'x'), false);
  assert.equal(passwordHashProblem('$5$abc$x'), null);
  assert.match(passwordHashProblem('$y$j9T$abc$def')!, /'\$y\$' is not supported by Turnpike/);
  assert.match(passwordHashProblem('abJnggxhB/yWI')!, /not supported by Turnpike/);
});

test('checkUserlist: insecure passwords, unknown users, cached successes', () => {
  const ul = {
    name: 'L',
    users: new Map([
      ['a', { password: '$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0', insecure: false, groups: [] }],
      ['b', { password: 'plain', insecure: true, groups: [] }],
    ]),
    groups: new Map(),
  };
  assert.equal(checkUserlist(ul, 'a', 'secret'), true);
  assert.equal(checkUserlist(ul, 'a', 'secret'), true, 'again, from the cache');
  assert.equal(checkUserlist(ul, 'a', 'wrong'), false);
  assert.equal(checkUserlist(ul, 'b', 'plain'), true);
  assert.equal(checkUserlist(ul, 'b', 'plai'), false);
  assert.equal(checkUserlist(ul, 'c', 'plain'), false);
});
