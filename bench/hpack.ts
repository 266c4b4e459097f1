// HPACK micro-benchmark: ns per operation for decoding a typical browser request header block and
// encoding a typical response, with and without Huffman coding. Just to record numbers:
//   node bench/hpack.ts
import { HpackDecoder, HpackEncoder } from '../src/protocols/http2/hpack/index.ts';

const REQUEST = [
  ':method', 'GET',
  ':scheme', 'https',
  ':authority', 'www.example.com',
  ':path', '/assets/app.js?v=1a2b3c',
  'user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-encoding', 'gzip, deflate, br',
  'accept-language', 'en-US,en;q=0.9',
  'cookie', 'session=4f2a9c1e7b3d5a60f8e2c4b1; theme=dark',
];

function response(i: number): string[] {
  return [
    ':status', '200',
    'server', 'turnpike',
    'date', 'Mon, 21 Oct 2013 20:13:21 GMT',
    'content-type', 'application/javascript; charset=utf-8',
    'content-length', String(1000 + (i & 1023)),
    'cache-control', 'public, max-age=3600',
    'etag', '"5f2a-1a2b3c"',
  ];
}

/** Best of 5 rounds of n calls, in ns per call. */
function measure(n: number, fn: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - t0) / n;
    if (ns < best) best = ns;
  }
  return best;
}

const N = 200_000;
const rows: [string, number, number][] = [];
let sink = 0;

for (const huffman of [true, false]) {
  const tag = huffman ? 'Huffman' : 'raw';
  const enc = new HpackEncoder(4096, { huffman });
  const first = enc.encode(REQUEST);
  const again = enc.encode(REQUEST);
  const out: string[] = [];
  rows.push([`decode request, first on the connection (${tag})`, first.length, measure(N, () => {
    const d = new HpackDecoder(4096, 65536);
    out.length = 0;
    d.decode(first, out);
    sink += out.length;
  })]);
  const warm = new HpackDecoder(4096, 65536);
  warm.decode(first, []);
  rows.push([`decode request, repeated (${tag})`, again.length, measure(N, () => {
    out.length = 0;
    warm.decode(again, out);
    sink += out.length;
  })]);
  const cold = response(0);
  rows.push([`encode response, first on the connection (${tag})`, new HpackEncoder(4096, { huffman }).encode(cold).length, measure(N, () => {
    sink += new HpackEncoder(4096, { huffman }).encode(cold).length;
  })]);
  const e = new HpackEncoder(4096, { huffman });
  const lists = Array.from({ length: 1024 }, (_, i) => response(i));
  e.encode(lists[0]!);
  rows.push([`encode response, repeated (${tag})`, e.encode(lists[1]!).length, measure(N, (i) => {
    sink += e.encode(lists[i & 1023]!).length;
  })]);
}

console.log(`node ${process.version}, ${N} calls per round, best of 5`);
console.log('| operation | block bytes | ns/op |');
console.log('|---|---:|---:|');
for (const [what, bytes, ns] of rows) console.log(`| ${what} | ${bytes} | ${ns.toFixed(0)} |`);
if (sink === 0) console.log('');
