import { describe, expect, it } from 'vitest';
import { cell, renderMarkdown } from '../../reports/markdown.js';
import type { CheckResult } from '../../src/engine/types.js';
import { fixtureResults, makeEmptyReport, makeReport } from './fixtures/report.js';

/** The rows of the table that follows `## <heading>` (cells split on unescaped pipes). */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('## ')) break;
    if (!l.startsWith('|')) { if (rows.length > 0) break; continue; }
    rows.push(l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows;
}

describe('markdown writer', () => {
  const md = renderMarkdown(makeReport());

  it('has a title, a verdict, versions, target with sources, summary, results and details', () => {
    expect(md.startsWith('# flyte-doctor preflight report\n')).toBe(true);
    expect(md).toContain('**Result:** ❌ failed (exit code 1)');
    expect(tableAfter(md, 'Versions')).toEqual([
      ['component', 'version'], ['---', '---'], ['flyte-doctor', '0.1.0'], ['node', 'v20.20.0'], ['kubernetes', 'v1.30.2'], ['postgres', '16.3'],
    ]);
    const target = tableAfter(md, 'Target');
    expect(target[0]).toEqual(['field', 'value', 'source']);
    expect(target).toContainEqual(['chart', 'flyte-binary', 'detected from values.yaml (configuration.* keys)']);
    expect(target).toContainEqual(['context', 'kind-flyte', '']);
    expect(target).toContainEqual(['`database.flyteadmin.host`', 'db.example', 'values.yaml: configuration.database.host']);
    expect(tableAfter(md, 'Summary')).toContainEqual(['2', '1', '3', '2', '1', '9', '12.3s']);
  });

  it('results table: one row per check with status word, id [instance], message', () => {
    const rows = tableAfter(md, 'Results').slice(2);
    expect(rows).toHaveLength(fixtureResults.length);
    expect(rows.map((r) => r[0])).toEqual(['✅ pass', '⚠️ warn', '❌ fail', '⏭️ skip', '❓ error', '✅ pass', '❌ fail', '❌ fail', '⏭️ skip']);
    expect(rows[2]).toEqual(['❌ fail', '`database.postgres.auth [flyteadmin]`', 'password authentication failed for user "flyte" (28P01)', '1.2s']);
  });

  it('escapes | and newlines in table cells (the table keeps its shape)', () => {
    const row = tableAfter(md, 'Results').find((r) => r[1] === '`tls.ingress.expiry`');
    expect(row).toEqual(['❌ fail', '`tls.ingress.expiry`', 'certificate expires in 3 days \\| issuer: CN=R3<br>second line', '88ms']);
    expect(cell('a|b\nc\r\nd')).toBe('a\\|b<br>c<br>d');
    expect(cell('<script>&')).toBe('&lt;script&gt;&amp;');
    expect(cell('x\u0001y')).toBe('x\\x01y');
  });

  it('a Details section for every non-pass, with message, hint, docs link and details as fenced JSON', () => {
    const details = md.slice(md.indexOf('## Details'));
    const headings = details.split('\n').filter((l) => l.startsWith('### '));
    expect(headings).toEqual([
      '### ⚠️ warn: kubernetes.namespace.exists: Namespace exists',
      '### ❌ fail: database.postgres.auth [flyteadmin]: PostgreSQL accepts the credentials',
      '### ⏭️ skip: database.postgres.createdb [flyteadmin]: Role may create the database',
      '### ❓ error: storage.s3.put [metadata]: Probe object can be written',
      '### ❌ fail: tls.ingress.expiry: Certificate is valid long enough',
      '### ❌ fail: ingress.grpc.health: gRPC health answers through the ingress',
      '### ⏭️ skip: auth.oidc.discovery: OIDC discovery document loads',
    ]);
    expect(details).toContain('- **Caused by:** `tls.ingress.expiry` (fix that first)');
    expect(details).toContain('- **Root cause:** yes (fix this first)');
    // the root causes lead the page, right after the verdict
    const top = md.slice(0, md.indexOf('## Versions'));
    expect(top).toContain('## Root causes (3; fix these first)');
    expect(top).toContain('1. ❌ fail `database.postgres.auth [flyteadmin]`: password authentication failed');
    expect(top).toContain('   - **Also explains (1):** `ingress.grpc.health`');
    expect(details).toContain('- **Fix:** configuration.database.password (values.yaml)');
    expect(details).toContain('- **Docs:** `flyte-doctor explain database.postgres.auth` · <docs/checks.md#databasepostgresauth>');
    expect(details).toContain('- **Blocked by:** `database.postgres.auth`');
    const block = /```json\n([\s\S]*?)\n```/.exec(details.slice(details.indexOf('database.postgres.auth [flyteadmin]')))!;
    expect(JSON.parse(block[1]!)).toEqual(fixtureResults[2]!.details);
  });

  it('a fence inside details cannot close the JSON block', () => {
    const tls = md.slice(md.indexOf('### ❌ fail: tls.ingress.expiry'));
    const m = /^(`{4,})json\n([\s\S]*?)\n\1$/m.exec(tls)!;
    expect(m).not.toBeNull();
    expect(JSON.parse(m[2]!)).toEqual(fixtureResults[6]!.details);
  });

  it('no Details section when everything passed; an empty run says so', () => {
    const passing = fixtureResults.filter((r) => r.status === 'pass');
    const ok = renderMarkdown(makeReport(passing, { exitCode: 0 }));
    expect(ok).not.toContain('## Details');
    expect(ok).toContain('**Result:** ✅ passed');
    const empty = renderMarkdown(makeEmptyReport());
    expect(empty).toContain('No checks ran.');
    expect(empty).toContain('nothing was checked');
  });

  it('shows interruption and residue', () => {
    const r: CheckResult[] = fixtureResults.slice(0, 1);
    const t = renderMarkdown(makeReport(r, { interrupted: 'deadline 2m reached', residue: ['s3://b/flyte-doctor/run/probe'] }));
    expect(t).toContain('> **Interrupted:** deadline 2m reached');
    expect(t).toContain('Residue: `s3://b/flyte-doctor/run/probe`');
  });
});
