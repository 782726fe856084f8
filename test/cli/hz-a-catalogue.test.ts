// Credentials the inputs carry where no key name says so, echoed back by a real HTTP server in the
// encodings servers use, through the real CLI into every output (pretty, json, junit, markdown,
// --verbose stderr).
// - An environment list entry {name: AWS_SECRET_ACCESS_KEY, value: …} (deployment.extraEnvVars,
//   a container's env): the value sits under the key `value`, the name says secret. Not registered
//   before: printed raw.
// - A header value `Bearer …` / `Basic …` under a key not named like a secret (AUTH_HEADER).
// - A YAML document kept in a string (a ConfigMap holding a kubeconfig or an app config, a cluster
//   resource template holding a Secret): its keys are not keys of the values file.
// - hmacKey / client-key-data key names.
// - A secret with `"` `\` and non-ASCII characters inside a JWT payload (JSON-escaped, then
//   base64url), as Python's bytes repr (`\xc3\xa9`), as spaced or colon-separated hex, twice
//   URL-encoded: each was printed whole before.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { findLeak } from './leaks.js';

const PORT = 30110;
const S = {
  envList: 'hzA-EnvList-Aws-7Qp2x9',
  envListToken: 'hzA-EnvList-Tok-K3m8w1',
  bearer: 'hzA-Bearer-Hdr-Zx81q0Lm',
  cmKube: 'hzA-Cm-KubeTok-u7Yt3e',
  cmApp: 'hzA-Cm-AppSecret-P0o9i8',
  template: 'hzA-Tmpl-SecretData-4rT6',
  hmac: 'hzA-Inline-Hmac-Vb5n2M',
  keyData: 'hzAKeyDataPemWw2e3RabcdEFGH0123',
  dbSpecial: 'hzA"Pw\\7-Ab+/=é&<x>',
};

let server: Server;
beforeAll(async () => {
  // An echo server: answers 403 with what it received, in the encodings servers use.
  server = createServer((req, res) => {
    const s = decodeURIComponent(String(req.headers['x-echo'] ?? ''));
    const jwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ sub: 'flyte', pw: s })).toString('base64url')}.`;
    const pyRepr = `b'${[...Buffer.from(s)].map((b) => (b > 126 ? `\\x${b.toString(16)}` : b === 92 ? '\\\\' : String.fromCharCode(b))).join('')}'`;
    const hex = Buffer.from(s).toString('hex').match(/../g)!;
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end(`denied: raw=${s} jwt=${jwt} repr=${pyRepr} hex=${hex.join(' ')} fp=${hex.join(':')} next=${encodeURIComponent(encodeURIComponent(s))}`);
  });
  await new Promise<void>((ok) => server.listen(PORT, '127.0.0.1', ok));
});
afterAll(async () => { await new Promise((ok) => server.close(ok)); });

describe('credentials of every input, echoed by a server in any encoding', () => {
  it('are *** in pretty, json, junit, markdown and --verbose output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-hz-a-'));
    const keyData = Buffer.from(`-----BEGIN EC PRIVATE KEY-----\n${S.keyData}\n-----END EC PRIVATE KEY-----\n`).toString('base64');
    writeFileSync(join(dir, 'values.yaml'), `configuration:
  database: {host: 127.0.0.1, port: 1, dbname: flyteadmin, username: flyte, password: ${JSON.stringify(S.dbSpecial)}}
  storage: {metadataContainer: meta, userDataContainer: user, provider: s3, providerConfig: {s3: {region: us-east-1, authType: iam}}}
  inline:
    plugins:
      webhook: {hmacKey: ${S.hmac}}
deployment:
  extraEnvVars:
  - {name: AWS_SECRET_ACCESS_KEY, value: ${S.envList}}
  - {name: MY_SERVICE_TOKEN, value: ${S.envListToken}}
  - {name: AUTH_HEADER, value: "Bearer ${S.bearer}"}
extraObjects:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: remote-cluster}
  data:
    kubeconfig: |
      apiVersion: v1
      kind: Config
      users:
      - name: remote
        user:
          token: ${S.cmKube}
          client-key-data: ${keyData}
    app.yaml: |
      auth:
        clientSecret: ${S.cmApp}
clusterResourceTemplates:
  inline:
    001_secret.yaml: |
      apiVersion: v1
      kind: Secret
      metadata: {name: project-creds, namespace: '{{ namespace }}'}
      stringData:
        creds: ${S.template}
`);
    // A check that sends each credential to the server (as a client would) and reports its answer.
    writeFileSync(join(dir, 'echo.mjs'), `export default {
      id: 'flyte.test.hz-a-echo', title: 'Reports what a server echoes', phases: ['preflight'],
      explain: { what: 'test only', why: 'test only', fix: 'test only' },
      async run(ctx) {
        const secrets = ${JSON.stringify(Object.values(S))};
        const bodies = [];
        for (const s of secrets) {
          const r = await fetch('http://127.0.0.1:${PORT}/', { headers: { 'x-echo': encodeURIComponent(s) }, signal: ctx.signal });
          const body = await r.text();
          ctx.log('answer', { status: r.status, body });
          bodies.push(body);
        }
        return { status: 'fail', message: 'the server said: ' + bodies.join(' | '), hint: bodies[0], details: { bodies } };
      } };\n`);
    const outs = ['json', 'junit', 'markdown', 'pretty'].map((f) => join(dir, `out.${f}`));
    const r = await runCli(['preflight', '-f', join(dir, 'values.yaml'), '--plugin', join(dir, 'echo.mjs'), '--only', 'flyte.test.hz-a-echo', '--verbose',
      ...['json', 'junit', 'markdown', 'pretty'].flatMap((f, i) => ['--report', `${f}=${outs[i]}`])], { cwd: dir, home: dir });
    expect(r.code, r.stderr).toBe(1);
    const texts: Record<string, string> = { stdout: r.stdout, stderr: r.stderr, ...Object.fromEntries(outs.map((f) => [f, readFileSync(f, 'utf8')])) };
    // (the server really answered: its words are there)
    expect(r.stdout).toContain('denied: raw=***');
    expect(r.stderr).toContain('denied: raw=***');
    for (const [where, t] of Object.entries(texts)) {
      for (const [name, s] of Object.entries(S)) expect(findLeak(t, s, 10), `${name} in ${where}`).toBeUndefined();
    }
    // every encoding the server used was hidden, not only the raw one
    const json = JSON.parse(texts[outs[0]!]!);
    const msg: string = json.results.find((x: { id: string }) => x.id === 'flyte.test.hz-a-echo').message;
    for (const part of msg.split(' | ')) expect(part).toMatch(/^(the server said: )?denied: raw=\*\*\* jwt=eyJhbGciOiJub25lIn0\.\S*\*\*\*\S* repr=b'\*\*\*' hex=\*\*\* fp=\*\*\* next=\*\*\*$/);
  });
});
