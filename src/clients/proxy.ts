// A tunnel through an HTTP proxy (CONNECT host:port), then the TLS handshake the client would make
// inside it. Evidence only: what the proxy answered (status line, Proxy-Authenticate), what failed
// at which step, and the certificate seen through the tunnel.
import { connectNotTunnel } from './answers.js';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { certInfo, classifyNetError, type CertInfo } from './tls.js';
import { sharedSecureContext } from './secure-context.js';

export type TunnelStep = 'connect' | 'proxy-tls' | 'connect-request' | 'tls';
export interface TunnelEvidence {
  proxy: string;
  step: TunnelStep;
  ok: boolean;
  /** Net error kind at `step` (refused, timeout, reset, dns…) or 'not-http' / 'closed'. */
  error?: { kind: string; message: string; code?: string };
  status?: number;
  statusLine?: string;
  proxyAuthenticate?: string;
  /** Through the tunnel, when the target speaks TLS. */
  tls?: { authorized: boolean; authorizationError?: string; alpn: string | false; leaf: CertInfo; chain: CertInfo[] };
  ms: number;
}

const chainOf = (c: PeerCertificate): CertInfo[] => {
  const out: CertInfo[] = [];
  let cur: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = c;
  const seen = new Set<string>();
  while (cur && cur.fingerprint256 && !seen.has(cur.fingerprint256)) { seen.add(cur.fingerprint256); out.push(certInfo(cur)); cur = cur.issuerCertificate; }
  return out;
};

export async function tunnel(o: {
  proxy: URL; host: string; port: number; tls: boolean; servername?: string; ca?: string[]; timeoutMs: number; signal?: AbortSignal;
}): Promise<TunnelEvidence> {
  const t0 = Date.now();
  const shown = `${o.proxy.protocol}//${o.proxy.host}`;
  const done = (e: Omit<TunnelEvidence, 'proxy' | 'ms'>): TunnelEvidence => ({ proxy: shown, ms: Date.now() - t0, ...e });
  const proxyPort = Number(o.proxy.port || (o.proxy.protocol === 'https:' ? 443 : 80));
  const proxyHost = o.proxy.hostname.replace(/^\[|\]$/g, '');
  const deadline = t0 + o.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  let sock: Socket | TLSSocket | undefined;
  const cleanup = () => { try { sock?.destroy(); } catch { /* gone */ } };
  const onAbort = () => cleanup();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const shared = o.ca ? await sharedSecureContext({ ca: o.ca }) : undefined;
  const trust = shared ? { secureContext: shared } : o.ca ? { ca: o.ca } : {};
  try {
    // 1. TCP (or TLS, for an https:// proxy) to the proxy
    let step: TunnelStep = 'connect';
    try {
      sock = await new Promise<Socket>((resolve, reject) => {
        const s = o.proxy.protocol === 'https:' ? tlsConnect({ host: proxyHost, port: proxyPort, servername: proxyHost, ...trust }) : netConnect({ host: proxyHost, port: proxyPort });
        sock = s;
        const timer = setTimeout(() => reject(Object.assign(new Error(`no answer from the proxy ${shown} in ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })), left());
        s.once(o.proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => { clearTimeout(timer); resolve(s); });
        s.once('error', (e) => { clearTimeout(timer); reject(e); });
      });
    } catch (e) {
      const c = classifyNetError(e);
      return done({ step, ok: false, error: { kind: c.kind, message: (e as Error).message, ...(c.code ? { code: c.code } : {}) } });
    }
    // 2. CONNECT host:port
    step = 'connect-request';
    const hp = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
    const auth = o.proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(o.proxy.username)}:${decodeURIComponent(o.proxy.password)}`).toString('base64')}\r\n` : '';
    const head = await new Promise<{ text: string; rest: Buffer } | { error: { kind: string; message: string } }>((resolve) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => { finish({ error: { kind: 'timeout', message: `the proxy ${shown} did not answer CONNECT ${hp} in ${o.timeoutMs} ms` } }); }, left());
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const i = buf.indexOf('\r\n\r\n');
        if (i >= 0) finish({ text: buf.subarray(0, i).toString('latin1'), rest: buf.subarray(i + 4) });
        // A first line that is not an HTTP status line (an SSH banner): no need to wait for more.
        else if ((buf.includes(10) || buf.length >= 8) && !/^HTTP\/?\d?/.test(buf.subarray(0, 5).toString('latin1')) && !'HTTP/'.startsWith(buf.subarray(0, 5).toString('latin1'))) finish({ text: buf.toString('latin1'), rest: Buffer.alloc(0) });
        else if (buf.length > 16_384) finish({ error: { kind: 'not-http', message: `the proxy answered CONNECT ${hp} with HTTP headers that do not end (16 KiB without the empty line that ends them): ${JSON.stringify(buf.subarray(0, 60).toString('latin1'))}` } });
      };
      const onEnd = () => finish(buf.length ? { text: buf.toString('latin1'), rest: Buffer.alloc(0) } : { error: { kind: 'closed', message: `the proxy ${shown} closed the connection without answering CONNECT` } });
      const onErr = (e: Error) => finish({ error: { kind: classifyNetError(e).kind, message: e.message } });
      const finish = (r: { text: string; rest: Buffer } | { error: { kind: string; message: string } }) => {
        clearTimeout(timer); sock!.off('data', onData); sock!.off('end', onEnd); sock!.off('error', onErr); resolve(r);
      };
      sock!.on('data', onData); sock!.once('end', onEnd); sock!.once('error', onErr);
      sock!.write(`CONNECT ${hp} HTTP/1.1\r\nHost: ${hp}\r\n${auth}User-Agent: flyte-doctor\r\n\r\n`);
    });
    if ('error' in head) return done({ step, ok: false, error: head.error });
    const first = head.text.split('\r\n')[0] ?? '';
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(first);
    if (!m) return done({ step, ok: false, statusLine: first.slice(0, 200).replace(/[^\x20-\x7e]/g, '.'), error: { kind: 'not-http', message: `the proxy answered CONNECT with something that is not HTTP: ${JSON.stringify(first.slice(0, 80))}` } });
    const status = Number(m[1]);
    const pa = /^proxy-authenticate:\s*(.+)$/im.exec(head.text)?.[1]?.trim();
    if (status < 200 || status >= 300) return done({ step, ok: false, status, statusLine: first.slice(0, 200), ...(pa ? { proxyAuthenticate: pa } : {}) });
    // Go's clients (grpc-go's proxy dialer: flytectl, flyteadmin; net/http) and Python's http.client open a
    // tunnel only on 200: any other 2xx is a failed CONNECT to them, whatever it lets through here
    if (status !== 200) return done({ step, ok: false, status, statusLine: first.slice(0, 200), error: { kind: 'not-http', message: `the proxy answered CONNECT ${hp} with ${first.slice(0, 60)}, not 200: flytectl and flyteadmin (Go) and pyflyte (Python) open a tunnel only on 200 Connection established, so they fail here` } });
    // a web server answers CONNECT as it answers any request: no tunnel exists
    const notTunnel = connectNotTunnel(head.text, head.rest);
    if (notTunnel) return done({ step, ok: false, statusLine: first.slice(0, 200), error: { kind: 'not-http', message: `the proxy answered CONNECT ${hp} with ${first.slice(0, 60)}${notTunnel}` } });
    if (!o.tls) return done({ step, ok: true, status, statusLine: first.slice(0, 200) });
    // 3. TLS to the target inside the tunnel
    step = 'tls';
    const r = await new Promise<TunnelEvidence>((resolve) => {
      const s = tlsConnect({ socket: sock as Socket, servername: o.servername ?? (/^[\d.]+$|:/.test(o.host) ? undefined as never : o.host), ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false, ...trust });
      const timer = setTimeout(() => { s.destroy(); resolve(done({ step, ok: false, status, statusLine: first, error: { kind: 'timeout', message: `no TLS answer from ${hp} through the proxy in ${o.timeoutMs} ms` } })); }, left());
      s.once('secureConnect', () => {
        clearTimeout(timer);
        const peer = s.getPeerCertificate(true);
        const chain = chainOf(peer);
        resolve(done({ step, ok: true, status, statusLine: first, tls: { authorized: s.authorized, ...(s.authorizationError ? { authorizationError: String(s.authorizationError) } : {}), alpn: s.alpnProtocol ?? false, leaf: chain[0]!, chain } }));
        s.destroy();
      });
      s.once('error', (e) => { clearTimeout(timer); resolve(done({ step, ok: false, status, statusLine: first, error: { kind: classifyNetError(e).kind, message: e.message } })); });
    });
    return r;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    cleanup();
  }
}
