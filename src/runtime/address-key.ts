// The client address as bytes, the input of "balance source" hashing (as HAProxy hashes
// the raw in_addr / in6_addr).

const v4 = Buffer.alloc(4);

export function addressKey(addr: string, family: 'ipv4' | 'ipv6' | 'unix'): Buffer | null {
  if (family === 'unix') return null;
  if (family === 'ipv4') {
    let part = 0;
    let i = 0;
    for (let c = 0; c < addr.length; c++) {
      const ch = addr.charCodeAt(c);
      if (ch === 46) {
        v4[i++] = part;
        part = 0;
      } else part = part * 10 + (ch - 48);
    }
    v4[i] = part;
    return v4;
  }
  return ipv6Bytes(addr);
}

function ipv6Bytes(addr: string): Buffer {
  const out = Buffer.alloc(16);
  const [head, tail] = addr.includes('::') ? addr.split('::') as [string, string] : [addr, null];
  const parse = (s: string): number[] => {
    if (!s) return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const p = g.split('.').map(Number);
        groups.push((p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!);
      } else groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const h = parse(head);
  const t = tail === null ? [] : parse(tail);
  const groups = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

