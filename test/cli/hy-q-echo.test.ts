// Servers that echo a credential back in a spelling of their own, through the real CLI and every
// output (stdout, --verbose stderr, json/junit/markdown/pretty reports):
// - an OAuth token endpoint (a Go server) that quotes the client secret it received in its JSON
//   error: Go's encoding/json writes & < > as \u0026 \u003c \u003e (and a Python server every
//   non-ASCII character as \u00eb). flyte-doctor quotes a body it does not recognise, and the
//   redactor knew only the JSON spelling JSON.stringify writes, so the secret was printed;
// - an S3 endpoint answering a JSON document that echoes the x-amz-security-token header:
//   describeAnswer quotes its first 60 characters as a JSON string, so the session token is cut
//   with a quote (not the end of the text, not an ellipsis) after it: the cut token was printed.
// Real HTTP(S) servers on 127.0.0.1 (OS-chosen ports).
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCert } from '../harness/private-servers.js';
import { getTestbed } from '../harness/testbed.js';
import { runCli } from './helpers.js';
import { findLeak } from './leaks.js';

const CLIENT_SECRET = 'Hy-Q&<sëcret>-0042';
const SESSION_TOKEN = 'FQoGZXIvYXdzEHyQSessTok9a8b7c6d5e4f3g2h1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

/** Go's encoding/json (HTML-safe) and Python's ensure_ascii together: & < > and non-ASCII as \uXXXX. */
const goJson = (s: string) => JSON.stringify(s).slice(1, -1).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
  .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

let oidc: HttpsServer;
let s3: HttpServer;
let oidcPort = 0;
let s3Port = 0;
const dir = mkdtempSync(join(tmpdir(), 'fd-hy-q-echo-'));

beforeAll(async () => {
  const { cert, key } = testCert('hy-q-oidc');
  oidc = createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const origin = `https://${getTestbed().nginx.host}:${oidcPort}`;
    const json = (o: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (path === '/.well-known/oauth-authorization-server') return json({ issuer: origin, authorization_endpoint: `${origin}/oauth2/authorize`, token_endpoint: `${origin}/oauth2/token`, grant_types_supported: ['client_credentials'] });
    if (path === '/config/v1/flyte_client') return json({ client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all'], authorization_metadata_key: 'flyte-authorization' });
    if (path === '/oauth2/token') {
      req.resume();
      req.on('end', () => {
        const [id, pw] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map((x) => decodeURIComponent(x ?? ''));
        // not an OAuth2 error (error is an object): flyte-doctor quotes the body
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(`{"error":{"code":401,"message":"unknown client ${id} / ${goJson(pw ?? '')}"}}`);
      });
      return;
    }
    res.writeHead(404); res.end();
  });
  s3 = createHttp((req, res) => {
    req.resume();
    req.on('end', () => {
      // the unsigned probe of storage.s3.endpoint gets S3's own anonymous answer
      if (!req.headers.authorization) { res.writeHead(403, { 'content-type': 'application/xml' }); res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><RequestId>1</RequestId></Error>'); return; }
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'x-amz-security-token': req.headers['x-amz-security-token'] ?? null, error: 'forbidden' }));
    });
  });
  await Promise.all([new Promise<void>((r) => oidc.listen(0, '127.0.0.1', () => r())), new Promise<void>((r) => s3.listen(0, '127.0.0.1', () => r()))]);
  oidcPort = (oidc.address() as AddressInfo).port;
  s3Port = (s3.address() as AddressInfo).port;
}, 30_000);

afterAll(async () => {
  for (const s of [oidc, s3]) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
});

async function everyOutput(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; texts: string[]; json: { results: { id: string; status: string; message: string }[] } }> {
  const outs = ['json', 'junit', 'markdown', 'pretty'].map((f) => join(dir, `${name}.${f}`));
  const r = await runCli([...args, '--report', `json=${outs[0]}`, '--report', `junit=${outs[1]}`, '--report', `markdown=${outs[2]}`, '--report', `pretty=${outs[3]}`, '--verbose'],
    { cwd: dir, env: { PATH: process.env.PATH, ...env } });
  return { code: r.code, texts: [r.stdout, r.stderr, ...outs.map((f) => readFileSync(f, 'utf8'))], json: JSON.parse(readFileSync(outs[0]!, 'utf8')) };
}

describe('a credential a server echoes in its own escaping', () => {
  it('an OAuth token endpoint quoting the client secret the Go way (\\u0026 \\u003c, \\u00eb): not in any output', async () => {
    const tb = getTestbed();
    writeFileSync(join(dir, 'client-secret.txt'), `${CLIENT_SECRET}\n`);
    writeFileSync(join(dir, 'flytectl.yaml'), [
      'admin:', `  endpoint: dns:///${tb.nginx.host}:${oidcPort}`, '  insecure: false', `  caCertFilePath: ${tb.caCert}`,
      '  authType: ClientSecret', '  clientId: hy-q-client', `  clientSecretLocation: ${join(dir, 'client-secret.txt')}`,
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'auth.yaml'), 'configuration:\n  auth:\n    enabled: true\n');
    const { code, texts, json } = await everyOutput('oidc', ['verify', '-f', join(dir, 'auth.yaml'), '--flytectl-config', join(dir, 'flytectl.yaml'), '--dns-server', tb.dns.server, '--only', 'auth.client.token'], {});
    expect(code).toBe(1);
    for (const t of texts) {
      expect(findLeak(t, CLIENT_SECRET, 8)).toBeUndefined();
      expect(t).not.toMatch(/\\u0026\\*u003csc/); // the escaped spelling itself
    }
    // the finding itself is intact: what the server said, with the secret hidden
    const tok = json.results.find((r) => r.id === 'auth.client.token')!;
    expect(tok.status).toBe('fail');
    expect(tok.message).toContain('unknown client hy-q-client / ***');
  });

  it('an S3 endpoint echoing the session token in a JSON answer cut at 60 characters (a quote after the cut): not in any output', async () => {
    writeFileSync(join(dir, 's3.yaml'), [
      'configuration:',
      '  database: {username: flyte, password: "hy-q-db-Pw-1234", host: 127.0.0.1, port: 1, dbname: flyteadmin}',
      '  storage:',
      '    metadataContainer: hy-q-meta',
      '    userDataContainer: hy-q-user',
      '    provider: s3',
      `    providerConfig: {s3: {region: us-east-1, disableSSL: true, endpoint: "http://127.0.0.1:${s3Port}", authType: iam}}`,
    ].join('\n') + '\n');
    const aws = { AWS_ACCESS_KEY_ID: 'ASIAHYQEXAMPLE000001', AWS_SECRET_ACCESS_KEY: 'hyQsecretAccessKey0123456789abcdefghij', AWS_SESSION_TOKEN: SESSION_TOKEN };
    // (the AWS SDK's credential chain reads process.env: the CLI's own environment, as in a real run)
    const saved = Object.fromEntries(Object.keys(aws).map((k) => [k, process.env[k]]));
    Object.assign(process.env, aws);
    let out: Awaited<ReturnType<typeof everyOutput>>;
    try { out = await everyOutput('s3', ['preflight', '-f', join(dir, 's3.yaml'), '--only', 'storage.s3.bucket'], { ...aws, HOME: dir }); }
    finally { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } }
    const { code, texts, json } = out;
    expect(code).toBe(1);
    for (const t of texts) expect(findLeak(t, SESSION_TOKEN, 8)).toBeUndefined();
    const bucket = json.results.find((r) => r.id === 'storage.s3.bucket')!;
    expect(bucket.message).toMatch(/not an S3 answer: a JSON document \("\{\\"x-amz-security-token\\":\\"\*\*\*"\), HTTP 403/);
  });
});
