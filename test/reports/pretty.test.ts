import { describe, expect, it } from 'vitest';
import { renderPretty } from '../../reports/pretty.js';
import type { CheckResult } from '../../src/engine/types.js';
import { fixtureResults, makeEmptyReport, makeReport } from './fixtures/report.js';

const plain = { color: false, width: 100, verbose: false };
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

/** The line of a check (the one starting with its symbol and id). */
function lineOf(text: string, id: string): string {
  const line = text.split('\n').find((l) => new RegExp(`^  \\S ${id.replace(/[.[\]]/g, '\\$&')}  `).test(l));
  if (!line) throw new Error(`no line for ${id} in:\n${text}`);
  return line;
}

describe('pretty writer', () => {
  const text = renderPretty(makeReport(), plain);

  it('has no colour codes when color=false, and colours when color=true', () => {
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain('\x1b');
    const coloured = renderPretty(makeReport(), { ...plain, color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('\x1b[31m✗\x1b[0m');
    expect(coloured).toContain('\x1b[32m✓\x1b[0m');
    // colour never changes the words
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(text);
  });

  it('one line per check with symbol, id [instance], message and duration', () => {
    expect(lineOf(text, 'kubernetes.api.reachable')).toBe('  ✓ kubernetes.api.reachable  API server https://127.0.0.1:6443 answered (v1.30.2)  42ms');
    expect(lineOf(text, 'kubernetes.namespace.exists')).toMatch(/^  ! kubernetes\.namespace\.exists  namespace "flyte" does not exist yet; .* 15ms$/);
    expect(lineOf(text, 'database.postgres.auth [flyteadmin]')).toBe('  ✗ database.postgres.auth [flyteadmin]  password authentication failed for user "flyte" (28P01)  1.2s');
    expect(lineOf(text, 'database.postgres.createdb [flyteadmin]')).toMatch(/^  - database\.postgres\.createdb \[flyteadmin\]  blocked by database\.postgres\.auth/);
    expect(lineOf(text, 'storage.s3.put [metadata]')).toMatch(/^  \? storage\.s3\.put \[metadata\]  timed out after 10s; .* 10\.0s$/);
  });

  it('groups by area in AREAS order', () => {
    const headings = text.split('\n').filter((l) => /^[a-z]+$/.test(l));
    expect(headings).toEqual(['kubernetes', 'database', 'storage', 'dns', 'tls', 'ingress', 'auth']);
    const body = text.slice(text.indexOf('\nkubernetes\n'));
    expect(body.indexOf('kubernetes.namespace.exists')).toBeLessThan(body.indexOf('database.postgres.auth'));
  });

  it('puts Fix: and Docs: under every warn, fail and error; a skip only says why; never under a pass', () => {
    const lines = text.split('\n');
    const after = (id: string) => lines.slice(lines.lastIndexOf(lineOf(text, id)) + 1, lines.lastIndexOf(lineOf(text, id)) + 3);
    expect(after('database.postgres.auth [flyteadmin]')).toEqual([
      '      Fix: configuration.database.password (values.yaml)',
      '      Docs: flyte-doctor explain database.postgres.auth · docs/checks.md#databasepostgresauth',
    ]);
    expect(after('storage.s3.put [metadata]')[0]).toBe('      Docs: flyte-doctor explain storage.s3.put · docs/checks.md#storages3put');
    expect(after('auth.oidc.discovery')[0]).not.toMatch(/Docs:/);
    expect(after('kubernetes.api.reachable')[0]).not.toMatch(/Fix:|Docs:/);
    const docsLines = lines.filter((l) => l.startsWith('      Docs: '));
    // consequences point at their root cause instead of repeating a fix
    expect(docsLines).toHaveLength(fixtureResults.filter((r) => r.status !== 'pass' && r.status !== 'skip' && !r.explainedBy).length);
    expect(after('ingress.grpc.health')[0]).toBe('      Cause: tls.ingress.expiry (fix that first)');
  });

  it('leads with the root causes: the fix, the docs and what each one explains', () => {
    const head = text.slice(0, text.indexOf('\nkubernetes\n'));
    expect(head).toContain('Root causes (3; fix these first)');
    expect(head).toMatch(/^  1\. ✗ database\.postgres\.auth \[flyteadmin\]  password authentication failed/m);
    expect(head).toContain('Also explains (1): database.postgres.createdb [flyteadmin]');
    expect(head).toMatch(/^  2\. ✗ tls\.ingress\.expiry/m);
    expect(head).toContain('Also explains (1): ingress.grpc.health');
    expect(head).toMatch(/^  3\. \? storage\.s3\.put \[metadata\]/m);
    expect(renderPretty(makeEmptyReport(), plain)).not.toContain('Root cause');
  });

  it('a dependency skip says "blocked by <id>" even when the message does not', () => {
    const r: CheckResult = { ...fixtureResults[3]!, message: 'dependency did not pass' };
    const t = renderPretty(makeReport([r]), plain);
    expect(lineOf(t, 'database.postgres.createdb [flyteadmin]')).toContain('blocked by database.postgres.auth: dependency did not pass');
  });

  it('header says what was checked: command, chart + source, namespace, context, inputs, fields with source, versions', () => {
    expect(text).toContain('What was checked');
    expect(text).toMatch(/^  command +preflight$/m);
    expect(text).toMatch(/^  chart +flyte-binary \(detected from values\.yaml \(configuration\.\* keys\)\)$/m);
    expect(text).toMatch(/^  namespace +flyte$/m);
    expect(text).toMatch(/^  context +kind-flyte$/m);
    expect(text).toMatch(/^  inputs +values\.yaml, ~\/\.flyte\/config\.yaml$/m);
    expect(text).toMatch(/^ +database\.flyteadmin\.host +db\.example +\(values\.yaml: configuration\.database\.host\)$/m);
    expect(text).toMatch(/^ +client\.endpoint +dns:\/\/\/flyte\.example\.com +\(--endpoint\)$/m);
    expect(text).toContain('versions: kubernetes v1.30.2, postgres 16.3');
    expect(renderPretty(makeEmptyReport(), plain)).not.toContain('versions:');
  });

  it('summary line with counts per status and total time; residue line', () => {
    expect(text).toContain('Summary: 2 pass, 1 warn, 3 fail, 2 skip, 1 error (9 checks) in 12.3s');
    expect(text.trimEnd().split('\n').at(-1)).toBe('residue: none');
    const left = renderPretty(makeReport(fixtureResults, { residue: ['s3://b/flyte-doctor/run/probe'], interrupted: 'interrupted by Ctrl-C' }), plain);
    expect(left).toContain('residue: s3://b/flyte-doctor/run/probe');
    expect(left).toContain('interrupted: interrupted by Ctrl-C');
  });

  it('multi-line messages and hints stay indented under their check', () => {
    expect(text).toContain('  ✗ tls.ingress.expiry  certificate expires in 3 days | issuer: CN=R3\n      second line  88ms\n');
    expect(text).toContain('      Fix: renew the certificate:\n           kubectl -n flyte delete secret flyte-tls\n');
  });

  it('makes control characters visible so server text cannot drive the terminal', () => {
    const r: CheckResult = { ...fixtureResults[0]!, message: 'evil \x1b]0;title\x07 \x1b[2J end' };
    const t = renderPretty(makeReport([r]), plain);
    expect(t).not.toContain('\x1b');
    expect(t).toContain('evil \\x1b]0;title\\x07 \\x1b[2J end');
    // a lone surrogate becomes U+FFFD so the output is valid UTF-8 (and golden files round-trip)
    expect(renderPretty(makeReport([{ ...r, message: 'a\uD800b' }]), plain)).toContain('a\uFFFDb');
  });

  it('verbose adds the instance label and details', () => {
    const v = renderPretty(makeReport(), { ...plain, verbose: true });
    expect(v).toContain('Instance: flyteadmin db flyte@db.example:5432/flyteadmin');
    expect(v).toContain('"code": "28P01"');
    expect(text).not.toContain('"code": "28P01"');
  });

  it('an empty run says no checks ran', () => {
    const t = renderPretty(makeEmptyReport(), plain);
    expect(t).toContain('No checks ran.');
    expect(t).toContain('(0 checks)');
  });

  it('the terminal header lists what the inputs set; built-in defaults only with --verbose', () => {
    const report = makeReport();
    report.target.fields = [
      { field: 'databases[0].host', value: 'db.example.com', source: 'values.yaml: configuration.database.host' },
      { field: 'kubernetes.release', value: 'flyte-backend', source: 'default' },
      { field: 'databases[0].maxOpenConnections', value: '100', source: 'chart default' },
      { field: 'ingress.grpcAnnotations.nginx.ingress.kubernetes.io/backend-protocol', value: 'GRPC', source: 'values.yaml: ingress.grpcAnnotations' },
    ];
    const short = renderPretty(report, plain);
    expect(short).toContain('db.example.com');
    expect(short).not.toContain('flyte-backend');
    expect(short).toContain('target (from your inputs; 2 defaults with --verbose):');
    const long = renderPretty(report, { ...plain, verbose: true });
    expect(long).toContain('flyte-backend');
    expect(long).toContain('maxOpenConnections');
    // a very long field name does not widen the column for every row
    expect(short.split('\n').find((l) => l.includes('databases[0].host'))!.indexOf('db.example.com')).toBeLessThan(45);
  });

  it('a setting with a line break or tab stays on its row: shown as \\n / \\t, never a new table line', () => {
    const report = makeReport();
    report.target.fields = [{ field: 'databases[0].host', value: 'db\nX-Injected: 1\tz', source: 'values.yaml: configuration.database.host' }];
    const lines = renderPretty(report, plain).split('\n');
    const row = lines.find((l) => l.includes('databases[0].host'))!;
    expect(row).toContain('db\\nX-Injected: 1\\tz');
    expect(lines.filter((l) => l.includes('X-Injected'))).toHaveLength(1);
  });
});
