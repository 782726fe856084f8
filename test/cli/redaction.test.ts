// Every secret the run knows is *** in every report format and on stderr. A plugin check echoes the
// secrets on purpose (message, hint, details, a URL with credentials, a bearer token) so the test
// proves the redaction layer itself, independently of how careful each check is.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const SECRETS = { db: 'Db-Pass-7781-zz', s3: 'S3secretKEY/abc+9912', url: 'UrlPass-4455', token: 'tok3n-abcdefghijklmnop' };

describe('redaction', () => {
  it('no known secret appears in pretty, json, junit or markdown output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-redact-'));
    writeFileSync(join(dir, 'values.yaml'), [
      'configuration:',
      '  database: {host: 127.0.0.1, port: 1, dbname: flyteadmin, username: flyte, password: "' + SECRETS.db + '"}',
      '  storage:',
      '    metadataContainer: meta',
      '    userDataContainer: user',
      '    provider: s3',
      '    providerConfig: {s3: {region: us-east-1, authType: accesskey, accessKey: AKIDEXAMPLE, secretKey: "' + SECRETS.s3 + '"}}',
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'leak.mjs'), `export default {
      id: 'flyte.test.leak', title: 'Echoes every secret it can see', phases: ['preflight'],
      explain: { what: 'test only', why: 'test only', fix: 'test only' },
      async run(ctx) {
        const db = ctx.target.databases[0].password.reveal();
        const s3 = ctx.target.storage.secretKey.reveal();
        ctx.addSecret(${JSON.stringify(SECRETS.token)});
        return { status: 'fail', message: 'password ' + db + ' and key ' + s3,
          hint: 'try postgres://flyte:${SECRETS.url}@db:5432/flyteadmin',
          details: { conn: 'password=' + db, auth: 'Authorization: Bearer ${SECRETS.token}', nested: [{ k: s3 }] } };
      } };\n`);
    const outs = ['json', 'junit', 'markdown', 'pretty'].map((f) => join(dir, `out.${f}`));
    const r = await runCli(['preflight', '-f', join(dir, 'values.yaml'), '--plugin', join(dir, 'leak.mjs'), '--only', 'flyte.test.leak',
      '--report', `json=${outs[0]}`, '--report', `junit=${outs[1]}`, '--report', `markdown=${outs[2]}`, '--report', `pretty=${outs[3]}`, '--verbose'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const texts = [r.stdout, r.stderr, ...outs.map((f) => readFileSync(f, 'utf8'))];
    for (const t of texts) for (const s of Object.values(SECRETS)) expect(t).not.toContain(s);
    for (const t of [r.stdout, ...outs.map((f) => readFileSync(f, 'utf8'))]) expect(t).toContain('***');
    const json = JSON.parse(readFileSync(outs[0]!, 'utf8'));
    const leak = json.results.find((x: { id: string }) => x.id === 'flyte.test.leak');
    expect(leak.message).toBe('password *** and key ***');
    expect(leak.hint).toBe('try postgres://flyte:***@db:5432/flyteadmin');
    expect(json.target.fields.find((f: { field: string }) => f.field === 'databases[0].password').value).toBe('***');
  });
});

describe('redaction does not corrupt non-secret text', () => {
  it('a password that is a common word leaves hosts, users, JSON keys and field names intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-redact-words-'));
    writeFileSync(join(dir, 'values.yaml'), [
      'configuration:',
      '  database: {host: postgres.flyte.svc, port: 5432, dbname: postgres, username: postgres, password: postgres}',
      '  storage: {metadataContainer: flyte, userDataContainer: flyte, provider: s3, providerConfig: {s3: {region: us-east-1, authType: accesskey, accessKey: flyte, secretKey: password}}}',
    ].join('\n') + '\n');
    for (const o of ['json', 'pretty']) {
      const r = await runCli(['preflight', '-f', join(dir, 'values.yaml'), '--dry-run', '-o', o], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      for (const s of ['postgres.flyte.svc', 'databases[0].passwordSource', 'databases[0].user', 'storage.secretKey']) expect(r.stdout).toContain(s);
      expect(r.stdout).not.toMatch(/\*\*\*Source|\*\*\*\.flyte\.svc|databases\[0\]\.\*\*\*/);
      if (o === 'json') {
        const fields = JSON.parse(r.stdout).target.fields as { field: string; value: string }[];
        const v = (f: string) => fields.find((x) => x.field === f)?.value;
        expect(v('databases[0].host')).toBe('postgres.flyte.svc');
        expect(v('databases[0].user')).toBe('postgres');
        expect(v('databases[0].dbname')).toBe('postgres');
        expect(v('databases[0].password')).toBe('***');
        expect(v('storage.secretKey')).toBe('***');
        expect(v('storage.accessKey')).toBe('***'); // an access key id shorter than 12 shows as ***
      }
    }
  });
});
