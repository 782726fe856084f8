// Servers that echo credentials back, for the canary test: whatever a client sends (Authorization
// headers, decoded Basic credentials, query strings, passwords) comes back in the error body, as
// misconfigured or chatty real servers do. Each binds a free 127.0.0.1 port and stops on demand.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Socket } from 'node:net';

export interface EchoServer { port: number; requests: string[]; stop(): Promise<void> }

/** Everything a request carries that may hold a credential, as text. */
function echoOf(req: IncomingMessage, body: Buffer): string {
  const auth = String(req.headers.authorization ?? '');
  const basic = /^Basic\s+(\S+)/i.exec(auth)?.[1];
  const parts = [
    `method=${req.method}`, `url=${req.url}`, `authorization=${auth}`,
    basic ? `basic-decoded=${Buffer.from(basic, 'base64').toString('utf8')}` : '',
    ...Object.entries(req.headers).filter(([k]) => /token|secret|key|auth|cookie|credential|amz|goog|azure/i.test(k)).map(([k, v]) => `${k}=${String(v)}`),
    body.length ? `body=${body.toString('utf8').slice(0, 4000)}` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function listen(server: ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function httpish(handler: (req: IncomingMessage, res: ServerResponse, echo: string) => void, tls?: { cert: string; key: string }): Promise<EchoServer> {
  const requests: string[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { const e = echoOf(req, Buffer.concat(chunks)); requests.push(e); try { handler(req, res, e); } catch { res.destroy(); } });
  };
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest) : createHttpServer(onRequest);
  return listen(server).then((port) => ({ port, requests, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) }));
}

/**
 * An S3-ish endpoint answering every request 403 SignatureDoesNotMatch, with the Authorization
 * header, the query string (presigned URLs), the security token in the XML body, and the string to
 * sign as hex bytes (as AWS does in StringToSignBytes). HEAD gets the echo in a header.
 */
export function startS3Echo(): Promise<EchoServer> {
  return httpish((req, res, echo) => {
    const auth = String(req.headers.authorization ?? '');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. ${xml(echo)}</Message>`
      + `<AWSAccessKeyId>${xml(/Credential=([^/]+)/.exec(auth)?.[1] ?? '')}</AWSAccessKeyId><StringToSign>${xml(auth)}</StringToSign>`
      + `<StringToSignBytes>${Buffer.from(auth).toString('hex').replace(/(..)/g, '$1 ').trim()}</StringToSignBytes>`
      + `<CanonicalRequestBytes>${Buffer.from(echo).toString('hex')}</CanonicalRequestBytes><RequestId>ECHO</RequestId></Error>`;
    res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': 'ECHO', 'x-echo': encodeURIComponent(echo).slice(0, 4000) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

/**
 * A Kubernetes-API-ish HTTPS server answering `status` (401, 403 or 500) with a JSON Status whose
 * message quotes the Authorization header and the decoded Basic credentials.
 */
export function startKubeEcho(tls: { cert: string; key: string }, status: () => number): Promise<EchoServer> {
  return httpish((req, res, echo) => {
    const code = status();
    const reason = code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError';
    const message = `${reason}: the server rejected the request (${echo}) for ${req.url}`;
    res.writeHead(code, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="echo ${String(req.headers.authorization ?? '')}"` });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details: { causes: [{ message: echo }] }, code }));
  }, tls);
}

/** An HTTP server (admin HTTP, ingress, OIDC discovery) answering 401 with every header echoed in JSON and in WWW-Authenticate. */
export function startHttpEcho(): Promise<EchoServer> {
  return httpish((req, res, echo) => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token", error_description="${echo.replace(/"/g, "'").slice(0, 2000)}"` });
    res.end(JSON.stringify({ error: 'unauthorized', message: echo, headers: req.headers }));
  });
}

/**
 * A PostgreSQL-ish server: answers SSLRequest with 'N', asks for a cleartext password, then fails
 * the login quoting the user and the password it received (as a misconfigured proxy might).
 */
export async function startPgEcho(): Promise<EchoServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let user = '';
    let started = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const msg = buf.subarray(8, len);
          buf = buf.subarray(len);
          if (code === 80877103 || code === 80877104) { s.write('N'); continue; } // SSLRequest / GSSENCRequest
          const fields = msg.toString('utf8').split('\0');
          for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'user') user = fields[i + 1]!;
          started = true;
          const r = Buffer.alloc(9); r.write('R', 0); r.writeInt32BE(8, 1); r.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          s.write(r);
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]!);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'p') {
          const pw = body.toString('utf8').replace(/\0$/, '');
          requests.push(`user=${user} password=${pw}`);
          const fields = [`SFATAL`, `VFATAL`, `C28P01`, `Mpassword authentication failed for user "${user}" (received password "${pw}", base64 ${Buffer.from(pw).toString('base64')})`, `Fauth.c`, `L326`, `Rauth_failed`];
          const payload = Buffer.from(fields.map((f) => `${f}\0`).join('') + '\0', 'utf8');
          const e = Buffer.alloc(5); e.write('E', 0); e.writeInt32BE(payload.length + 4, 1);
          s.end(Buffer.concat([e, payload]));
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, requests, stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}
