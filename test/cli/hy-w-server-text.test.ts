// Text a server controls, through the real CLI into every output (stdout, stderr, and the json,
// junit, markdown and pretty reports). Findings quote what servers answered; a hostile or broken
// server chooses that text:
// - an S3 endpoint whose XML error Message holds terminal escapes (clear screen, an OSC 8
//   hyperlink, an OSC 52 clipboard write, BEL, backspaces, a C1 CSI), a CR that would overwrite the
//   line, a bidi override (U+202E shows "evil" as "live"), zero-width and line-separator characters,
//   "]]>", HTML (<script>, <img onerror>), Markdown links and images, pipes and backtick runs;
// - a Kubernetes API server whose Status message holds JSON-escaped lone surrogates, NUL and a
//   vertical tab (characters XML 1.0 forbids), and an OSC 52 write;
// - a PostgreSQL server whose ErrorResponse carries a 30 000-character message and detail.
// The terminal formats show every control and invisible character escaped (\x1b, \u202e); JUnit
// stays well-formed XML 1.0 (xmllint); Markdown cannot open HTML, a link, an image or a stray code
// span, nor break its table; JSON parses and validates against reports/report.schema.json; a huge
// server text is cut with a visible marker in every format.
// Real servers on 127.0.0.1 (ports 32010-32012).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

// fake S3 credentials of this test, built at run time so no tracked line looks like a key
const FAKE_KEY_ID = ['AKIA', 'HYWEXAMPLE000001'].join('');
const FAKE_SECRET = ['hyW', 'secretAccessKey0123456789abcdefghij'].join('');

const S3_PORT = 32010;
const KUBE_PORT = 32011;
const PG_PORT = 32012;
const dir = mkdtempSync(join(tmpdir(), 'fd-hy-w-text-'));

const HOSTILE = 'clear\x1b[2J link\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 clip\x1b]52;c;ZWNobyBwd24=\x07 bell\x07 over\rwrite back\b\b'
  + ' c1\u009b31m rlo \u202eevil\u202c zw\u200bsp ls\u2028ps\u2029 cdata ]]> pipe | here `tick` ``` <script>alert(1)</script>'
  + ' <img src=x onerror=alert(1)> ![x](http://evil.example/t.png) [link](http://evil.example) end';
const BIG = 30_000;

const schema = JSON.parse(readFileSync(new URL('../../reports/report.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

let s3: Server;
let kube: Server;
let pg: TcpServer;
const listen = (s: Server | TcpServer, port: number) => new Promise<void>((ok, ko) => { s.once('error', ko); s.listen(port, '127.0.0.1', () => ok()); });

beforeAll(async () => {
  const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  s3 = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/xml', 'x-amz-request-id': 'hy-w-req' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>HyWeirdCode</Code><Message>${xmlText(HOSTILE)}</Message><RequestId>hy-w-req</RequestId></Error>`);
    });
  });
  kube = createServer((req, res) => {
    req.resume();
    // (JSON escapes: a lone surrogate, NUL and VT are only reachable this way)
    const msg = 'etcd said \\u001b]52;c;cHduZWQ=\\u0007 lone \\ud800 and \\udfff, nul \\u0000 x, cdata ]]> y, rlo \\u202eevil\\u202c, csi \\u009b2J';
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"InternalError","code":500,"message":"${msg}"}`);
  });
  pg = createTcp((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0);
        const code = buf.readUInt32BE(4);
        buf = buf.subarray(len);
        if (code === 80877103 || code === 80877104) { sock.write('N'); continue; } // no TLS, no GSS
        const f = (t: string, v: string) => Buffer.concat([Buffer.from(t), Buffer.from(v, 'utf8'), Buffer.from([0])]);
        const body = Buffer.concat([f('S', 'FATAL'), f('V', 'FATAL'), f('C', 'XX999'), f('M', `hy-w huge ${'M'.repeat(BIG)}`), f('D', `detail ${'D'.repeat(BIG)}`), Buffer.from([0])]);
        const head = Buffer.alloc(5);
        head.write('E');
        head.writeUInt32BE(body.length + 4, 1);
        sock.end(Buffer.concat([head, body]));
      }
    });
  });
  await Promise.all([listen(s3, S3_PORT), listen(kube, KUBE_PORT), listen(pg, PG_PORT)]);
  writeFileSync(join(dir, 's3.yaml'), [
    'configuration:',
    '  storage:',
    '    metadataContainer: hy-w-meta',
    '    userDataContainer: hy-w-user',
    '    provider: s3',
    `    providerConfig: {s3: {region: us-east-1, disableSSL: true, endpoint: "http://127.0.0.1:${S3_PORT}", authType: accesskey, accessKey: ${FAKE_KEY_ID}, secretKey: ${FAKE_SECRET}}}`,
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'pg.yaml'), `configuration:\n  database: {username: flyte, password: "hy-w-db-Pw-1234", host: 127.0.0.1, port: ${PG_PORT}, dbname: flyteadmin}\n`);
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: x, cluster: {server: "http://127.0.0.1:${KUBE_PORT}"}}]`,
    'users: [{name: u, user: {token: hy-w-token-0123456789abcdef}}]',
    'contexts: [{name: c, context: {cluster: x, user: u}}]',
    'current-context: c',
  ].join('\n') + '\n');
}, 30_000);

afterAll(async () => {
  for (const s of [s3, kube]) { s?.closeAllConnections(); await new Promise<void>((r) => (s ? s.close(() => r()) : r())); }
  await new Promise<void>((r) => (pg ? pg.close(() => r()) : r()));
});

interface Outputs { code: number; stdout: string; stderr: string; json: string; junit: string; markdown: string; pretty: string }

async function everyOutput(name: string, args: string[]): Promise<Outputs> {
  const path = (f: string) => join(dir, `${name}.${f}`);
  const r = await runCli([...args, '-o', 'pretty', '--verbose', '--report', `json=${path('json')}`, '--report', `junit=${path('junit')}`, '--report', `markdown=${path('markdown')}`, '--report', `pretty=${path('pretty')}`],
    { cwd: dir, home: dir, env: { PATH: process.env.PATH, HOME: dir } });
  const read = (f: string) => readFileSync(path(f), 'utf8');
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json: read('json'), junit: read('junit'), markdown: read('markdown'), pretty: read('pretty') };
}

/** Characters that must never reach a terminal (or a pasted report) raw: C0/C1 controls but tab and newline, and invisible/reordering ones. */
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u00AD\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

function rawAt(text: string): string | undefined {
  const m = RAW.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 20))}` : undefined;
}

function xmllint(xml: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

function xpath(xml: string, expr: string): string {
  return spawnSync('xmllint', ['--xpath', `string(${expr})`, '-'], { input: xml, encoding: 'utf8' }).stdout.replace(/\n$/, '');
}

function jsonValid(text: string): { results: { id: string; instance?: string; status: string; message: string; hint?: string; details?: Record<string, unknown> }[] } {
  const doc = JSON.parse(text);
  expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  return doc;
}

/** Markdown lines outside fenced blocks. */
function markdownProse(md: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    const f = /^(`{3,})/.exec(line)?.[1];
    if (fence) { if (f && f.length >= fence.length && line.trim() === f) fence = undefined; continue; }
    if (f) { fence = f; continue; }
    out.push(line);
  }
  return out;
}
const unescaped = (line: string, ch: string) => [...line.matchAll(new RegExp(`(?<!\\\\)\\${ch}`, 'g'))].length;

describe('server-controlled text in every report format', () => {
  it('an S3 error Message with terminal escapes, bidi overrides, HTML, Markdown and XML-hostile text: escaped and visible everywhere', async () => {
    const o = await everyOutput('s3', ['preflight', '-f', join(dir, 's3.yaml'), '--only', 'storage.s3.bucket']);
    expect(o.code, o.stderr).toBe(1);
    const doc = jsonValid(o.json);
    const bucket = doc.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
    expect(bucket.status).toBe('fail');
    // JSON carries the server's words exactly (JSON.stringify escapes the controls)
    expect(bucket.details?.['serverMessage']).toBe(HOSTILE);

    // terminal formats and pasted Markdown: nothing raw, the evidence visible
    for (const [name, text] of [['stdout', o.stdout], ['stderr', o.stderr], ['pretty report', o.pretty], ['markdown report', o.markdown]] as const) {
      expect(rawAt(text), name).toBeUndefined();
    }
    for (const text of [o.stdout, o.pretty]) {
      expect(text).toContain('clear\\x1b[2J link\\x1b]8;;http://evil.example/\\x07click');
      expect(text).toContain('clip\\x1b]52;c;ZWNobyBwd24=\\x07');
      expect(text).toContain('rlo \\u202eevil\\u202c zw\\u200bsp ls\\u2028ps\\u2029');
      expect(text).toContain('c1\\x9b31m');
      // (the CR starts a new, indented line: it cannot overwrite the line it is on)
      expect(text).toMatch(/ over\n +write back\\x08\\x08/);
      // the JSON evidence (--verbose) stays JSON: \u escapes, not raw characters
      expect(text).toContain('\\u202eevil\\u202c');
    }

    // Markdown: no HTML, no link or image, no stray code span, the table intact
    const md = o.markdown;
    const prose = markdownProse(md);
    expect(prose.join('\n')).not.toMatch(/<script|<img/i); // (in the fenced JSON evidence it is code, never HTML)
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const line of prose) {
      expect(line, line).not.toMatch(/(?<!\\)\]\(http:\/\/evil/); // `[text](url)` and `![x](url)` would render
      expect(unescaped(line, '`') % 2, `a backtick opens a code span: ${line}`).toBe(0);
    }
    const rows = prose.filter((l) => l.startsWith('| ') && l.includes('storage.s3.bucket'));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(unescaped(row, '|'), row).toBe(5); // status | check | message | time
    expect(md).toContain('\\u202eevil\\u202c');

    // JUnit: well-formed XML 1.0 to a real parser, the message readable and the bidi override visible
    expect(xmllint(o.junit)).toEqual({ ok: true, stderr: '' });
    expect(rawAt(o.junit.replace(/[\r]/g, ''))).toBeUndefined();
    const failure = xpath(o.junit, '//testcase[contains(@name, "storage.s3.bucket [metadata]")]/failure/@message');
    expect(failure).toContain('HyWeirdCode');
    expect(failure).toContain('rlo \\u202eevil\\u202c zw\\u200bsp');
    expect(failure).toContain('cdata ]]> pipe | here');
    expect(failure).toContain('<script>alert(1)</script>'); // text to the parser, never markup
  });

  it('a Kubernetes Status message with lone surrogates, NUL and an OSC 52 write: valid JSON (schema), well-formed JUnit, escaped terminal text', async () => {
    const o = await everyOutput('kube', ['preflight', '-f', join(dir, 'pg.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--only', 'kubernetes.api.reachable']);
    expect(o.code, o.stderr).toBe(1);
    const doc = jsonValid(o.json);
    const api = doc.results.find((r) => r.id === 'kubernetes.api.reachable')!;
    expect(api.status).toBe('fail');
    expect(api.message).toContain('HTTP 500: etcd said');
    expect(xmllint(o.junit)).toEqual({ ok: true, stderr: '' });
    expect(xpath(o.junit, '//testcase[contains(@name, "kubernetes.api.reachable")]/failure/@message')).toContain('cdata ]]> y');
    for (const [name, text] of [['stdout', o.stdout], ['stderr', o.stderr], ['pretty report', o.pretty], ['markdown report', o.markdown]] as const) {
      expect(rawAt(text), name).toBeUndefined();
    }
    expect(o.stdout).toContain('etcd said \\x1b]52;c;cHduZWQ=\\x07 lone \uFFFD and \uFFFD, nul \\x00 x');
    expect(o.stdout).toContain('rlo \\u202eevil\\u202c, csi \\x9b2J');
  });

  it('a 60 KB PostgreSQL ErrorResponse: cut with a visible marker in every format, never carried whole', async () => {
    const o = await everyOutput('pg', ['preflight', '-f', join(dir, 'pg.yaml'), '--only', 'database.postgres.auth']);
    expect(o.code, o.stderr).toBe(1);
    const doc = jsonValid(o.json);
    const auth = doc.results.find((r) => r.id === 'database.postgres.auth')!;
    expect(auth.status).toBe('fail');
    expect(auth.message).toContain('hy-w huge MMMM');
    expect(auth.message.length).toBeLessThan(5000);
    expect(auth.message).toMatch(/M… \[cut: \d+ more characters\]$/);
    const longest = (s: string) => Math.max(...[...s.matchAll(/M{100,}|D{100,}/g)].map((m) => m[0].length), 0);
    for (const [name, text] of Object.entries({ stdout: o.stdout, json: o.json, junit: o.junit, markdown: o.markdown, pretty: o.pretty })) {
      expect(longest(text), name).toBeLessThanOrEqual(4096);
      expect(text, name).toMatch(/… \[cut: \d+ more characters\]/);
      expect(text.length, name).toBeLessThan(60_000);
    }
    expect(xmllint(o.junit).ok).toBe(true);
  });
});
