// The rows of the status table: what a proxy, a load balancer, an IdP or an API server can answer,
// written byte for byte on a raw TLS socket (1xx, missing Location, truncated bodies included).
import type { Socket } from 'node:net';

export interface Row { name: string; status: number; send: (s: Socket, path: string, port: number) => void }

const REASON: Record<number, string> = { 100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 421: 'Misdirected Request', 425: 'Too Early', 426: 'Upgrade Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons', 494: 'Request Header Too Large', 495: 'SSL Certificate Error', 496: 'SSL Certificate Required', 497: 'HTTP Request Sent to HTTPS Port', 499: 'Client Closed Request', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 507: 'Insufficient Storage', 508: 'Loop Detected', 511: 'Network Authentication Required', 520: 'Unknown Error', 521: 'Web Server Is Down', 522: 'Connection Timed Out', 523: 'Origin Is Unreachable', 524: 'A Timeout Occurred', 525: 'SSL Handshake Failed', 526: 'Invalid SSL Certificate', 530: 'Origin DNS Error', 561: 'Unauthorized' };

export function answer(status: number, headers: Record<string, string> = {}, body = '', o: { length?: number } = {}): (s: Socket) => void {
  return (s) => {
    const h = { server: 'hz-c-front', connection: 'close', ...(status === 204 || status === 304 ? {} : { 'content-length': String(o.length ?? Buffer.byteLength(body)) }), ...headers };
    s.end(`HTTP/1.1 ${status} ${REASON[status] ?? 'Status'}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
  };
}
const page = (status: number, extra: Record<string, string> = {}) => answer(status, { 'content-type': 'text/html', ...extra }, `<html><head><title>${status} ${REASON[status] ?? ''}</title></head><body><center><h1>${status} ${REASON[status] ?? ''}</h1></center><hr><center>hz-c-front</center></body></html>`);
const row = (name: string, status: number, send: (s: Socket, path: string, port: number) => void): Row => ({ name, status, send });

export const ROWS: Row[] = [
  row('103 then silence', 103, (s) => { s.write('HTTP/1.1 103 Early Hints\r\nlink: </x.css>; rel=preload\r\n\r\n'); }),
  row('endless 1xx', 102, (s) => { const t = setInterval(() => { if (s.destroyed) return clearInterval(t); s.write('HTTP/1.1 102 Processing\r\n\r\n'); }, 50); s.on('close', () => clearInterval(t)); }),
  row('100 then 502', 502, (s) => { s.write('HTTP/1.1 100 Continue\r\n\r\n'); page(502)(s); }),
  row('101 unrequested', 101, (s) => { s.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n'); }),
  row('200 html', 200, answer(200, { 'content-type': 'text/html' }, '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>')),
  row('200 empty', 200, answer(200, { 'content-type': 'application/json' }, '')),
  row('200 truncated json', 200, answer(200, { 'content-type': 'application/json' }, '{"issuer":"https://x", "keys": [')),
  row('201', 201, answer(201, { 'content-type': 'application/json' }, '{}')),
  row('202', 202, answer(202, { 'content-type': 'application/json' }, '{}')),
  row('204', 204, answer(204)),
  row('206', 206, answer(206, { 'content-type': 'application/json', 'content-range': 'bytes 0-1/100' }, '{"')),
  row('300', 300, answer(300, { 'content-type': 'text/html' }, '<html>choices</html>')),
  row('301 other host', 301, answer(301, { location: 'https://elsewhere.example.com/' })),
  row('302 no location', 302, answer(302)),
  row('303 login', 303, answer(303, { location: 'https://login.microsoftonline.com/tenant/oauth2/authorize?x=1' })),
  row('304', 304, answer(304)),
  row('305', 305, answer(305, { location: 'http://proxy.example:3128/' })),
  row('307 loop', 307, (s, path, port) => answer(307, { location: `https://flyte.test:${port}${path}` })(s)),
  row('308 relative', 308, (s, path) => answer(308, { location: `${path.replace(/\/?$/, '/')}x` })(s)),
  row('400', 400, page(400)),
  row('401 www-auth', 401, page(401, { 'www-authenticate': 'Basic realm="corp"' })),
  row('401 bare', 401, answer(401, { 'content-type': 'text/plain' }, 'Unauthorized')),
  row('403', 403, page(403)),
  row('404', 404, page(404)),
  row('405', 405, page(405)),
  row('406', 406, page(406)),
  row('407', 407, page(407, { 'proxy-authenticate': 'Basic realm="squid"' })),
  row('408', 408, page(408)),
  row('409', 409, page(409)),
  row('410', 410, page(410)),
  row('411', 411, page(411)),
  row('413', 413, page(413)),
  row('414', 414, page(414)),
  row('415', 415, page(415)),
  row('421', 421, page(421)),
  row('425', 425, page(425)),
  row('426', 426, page(426, { upgrade: 'HTTP/2.0' })),
  row('429', 429, page(429, { 'retry-after': '30' })),
  row('431', 431, page(431)),
  row('451', 451, page(451)),
  row('494', 494, page(494)),
  row('495', 495, page(495)),
  row('496', 496, page(496)),
  row('497', 497, page(497)),
  row('499', 499, page(499)),
  row('500', 500, page(500)),
  row('501', 501, page(501)),
  row('502', 502, page(502)),
  row('503', 503, page(503, { 'retry-after': '120' })),
  row('504', 504, page(504)),
  row('505', 505, page(505)),
  row('507', 507, page(507)),
  row('508', 508, page(508)),
  row('511', 511, page(511)),
  ...[520, 521, 522, 523, 524, 525, 526, 530].map((c) => row(String(c), c, answer(c, { 'content-type': 'text/html', server: 'cloudflare', 'cf-ray': '8a1b2c3d4e5f-AMS' }, `<html><title>flyte.test | ${c}: ${REASON[c]}</title></html>`))),
  row('561', 561, answer(561, { 'content-type': 'text/html', server: 'awselb/2.0' }, '<html><head><title>561 Authorization Required</title></head></html>')),
];

/** A raw TLS server (the test bed's CA, names flyte.test / 127.0.0.1) answering `row()` for paths containing `target()`, else `healthy`. */
export async function startRawTls(port: number, row: () => Row, o: { target?: () => string | undefined; healthy?: (s: Socket, path: string) => void } = {}): Promise<{ stop: () => Promise<void> }> {
  const { createServer } = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const { testCert } = await import('../../harness/private-servers.js');
  const { cert, key } = testCert('hz-c');
  const socks = new Set<Socket>();
  const srv = createServer({ cert: readFileSync(cert), key: readFileSync(key), ALPNProtocols: ['http/1.1'] }, (s) => {
    socks.add(s); s.on('close', () => socks.delete(s));
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const path = buf.split(' ')[1] ?? '/';
      buf = '';
      const t = o.target?.();
      if (t && !path.includes(t) && o.healthy) return o.healthy(s, path);
      row().send(s, path, port);
    });
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  return { stop: () => new Promise<void>((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); }) };
}

/** A JSON 200 on a raw socket. */
export function json(s: Socket, o: unknown): void {
  const b = JSON.stringify(o);
  s.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\nconnection: close\r\n\r\n${b}`);
}
