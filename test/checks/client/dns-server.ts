// A tiny authoritative DNS server of the test's own (UDP on a free 127.0.0.1 port), for the answers
// the shared dnsmasq cannot give: SERVFAIL, a resolver that never answers, NOERROR with only AAAA,
// a CNAME whose target does not exist. Real DNS packets over a real socket: flyte-doctor asks it as
// it asks any --dns-server.
import { createSocket, type Socket } from 'node:dgram';

// garbage: answers with bytes that are not a DNS message; truncated: a UDP answer with the TC flag
// (the answer does not fit) and, as this server has no TCP listener, the resolver's TCP retry is refused.
export type Answer =
  | { a?: string[]; aaaa?: string[]; cname?: string }
  | { rcode: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'NOTIMP' | 'FORMERR' }
  | { silent: true }
  | { garbage: true }
  | { truncated: true };

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const TYPE = { A: 1, CNAME: 5, AAAA: 28 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

function readName(b: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let o = off;
  for (;;) {
    const len = b[o]!;
    if (len === 0) { o += 1; break; }
    labels.push(b.subarray(o + 1, o + 1 + len).toString('ascii'));
    o += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), next: o };
}

function rr(name: string, type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt16BE(type, 0); h.writeUInt16BE(1, 2); h.writeUInt32BE(30, 4); h.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(name), h, data]);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

export interface DnsServer { server: string; port: number; stop(): Promise<void> }

/** Starts the server; `zone` maps lower-case names to answers. Unknown names get NXDOMAIN. */
export async function startDnsServer(zone: Record<string, Answer>): Promise<DnsServer> {
  const sock: Socket = createSocket('udp4');
  const lookup = (n: string): Answer => zone[n.toLowerCase()] ?? { rcode: 'NXDOMAIN' };
  sock.on('message', (msg, rinfo) => {
    try {
      const id = msg.readUInt16BE(0);
      const flags = msg.readUInt16BE(2);
      const q = readName(msg, 12);
      const qtype = msg.readUInt16BE(q.next);
      const question = msg.subarray(12, q.next + 4);
      const ans = lookup(q.name);
      if ('silent' in ans) return;
      if ('garbage' in ans) { sock.send(Buffer.from('this is not a DNS message\n'), rinfo.port, rinfo.address); return; }
      const tc = 'truncated' in ans ? 0x0200 : 0;
      const answers: Buffer[] = [];
      let rcode: number = RCODE.NOERROR;
      if ('rcode' in ans) rcode = RCODE[ans.rcode];
      else {
        let name = q.name;
        let cur: Answer = ans;
        for (let hops = 0; hops < 8; hops++) {
          if ('cname' in cur && cur.cname) {
            answers.push(rr(name, TYPE.CNAME, encodeName(cur.cname)));
            if (qtype === TYPE.CNAME) break;
            name = cur.cname.toLowerCase();
            cur = lookup(name);
            if ('rcode' in cur) { rcode = RCODE[cur.rcode]; break; }
            if ('silent' in cur || 'garbage' in cur || 'truncated' in cur) return;
            continue;
          }
          if (!('rcode' in cur) && !('silent' in cur) && !('garbage' in cur) && !('truncated' in cur)) {
            if (qtype === TYPE.A) for (const a of cur.a ?? []) answers.push(rr(name, TYPE.A, Buffer.from(a.split('.').map(Number))));
            if (qtype === TYPE.AAAA) for (const a of cur.aaaa ?? []) answers.push(rr(name, TYPE.AAAA, ipv6Bytes(a)));
          }
          break;
        }
      }
      const h = Buffer.alloc(12);
      h.writeUInt16BE(id, 0);
      h.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0400 | tc | 0x0080 | rcode, 2); // QR, opcode+RD copied, AA, TC, RA
      h.writeUInt16BE(1, 4); h.writeUInt16BE(answers.length, 6); h.writeUInt16BE(0, 8); h.writeUInt16BE(0, 10);
      sock.send(Buffer.concat([h, question, ...answers]), rinfo.port, rinfo.address);
    } catch { /* malformed query: no answer */ }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  return { server: `127.0.0.1:${port}`, port, stop: () => new Promise<void>((r) => sock.close(() => r())) };
}
