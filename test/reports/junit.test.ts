import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../reports/junit.js';
import { fixtureResults, makeEmptyReport, makeReport } from './fixtures/report.js';

const XSD = fileURLToPath(new URL('./junit.xsd', import.meta.url));

/** Validates a document with xmllint against test/reports/junit.xsd; returns [ok, stderr]. */
function validate(xml: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, '-'], { input: xml, encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

/** Evaluates an XPath with xmllint (a real XML parser) and returns the string result. */
function xpath(xml: string, expr: string): string {
  // xmllint ends its output with one newline of its own
  return execFileSync('xmllint', ['--xpath', `string(${expr})`, '-'], { input: xml, encoding: 'utf8' }).replace(/\n$/, '');
}
const count = (xml: string, expr: string) => Number(xpath(xml, `count(${expr})`));

describe('junit writer', () => {
  const xml = renderJunit(makeReport());

  it('validates against the JUnit XSD with xmllint (fixture and an empty run)', () => {
    expect(validate(xml)).toEqual({ ok: true, stderr: expect.stringContaining('validates') });
    expect(validate(renderJunit(makeEmptyReport())).ok).toBe(true);
  });

  it('the XSD check can fail: a testcase without time and a skip without reason are rejected', () => {
    const broken = xml.replace(/ time="0\.042"/, '');
    const r = validate(broken);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/time/);
    expect(validate(xml.replace(/<skipped message="[^"]*"\/>/, '<skipped/>')).ok).toBe(false);
  });

  it('root: name "flyte-doctor <command>", totals, wall time in seconds', () => {
    expect(xpath(xml, '/testsuites/@name')).toBe('flyte-doctor preflight');
    expect(xpath(xml, '/testsuites/@tests')).toBe('9');
    expect(xpath(xml, '/testsuites/@failures')).toBe('3');
    expect(xpath(xml, '/testsuites/@errors')).toBe('1');
    expect(xpath(xml, '/testsuites/@time')).toBe('12.345');
  });

  it('one testsuite per area: suites holding root causes first (in rootCauses order), then AREAS order; per-suite counts', () => {
    const names = Array.from({ length: count(xml, '/testsuites/testsuite') }, (_, i) => xpath(xml, `/testsuites/testsuite[${i + 1}]/@name`));
    expect(names).toEqual(['database', 'tls', 'storage', 'kubernetes', 'dns', 'ingress', 'auth']);
    // the first failure in the document is a root cause, and says so
    expect(xpath(xml, '(//failure)[1]/@message')).toMatch(/^ROOT CAUSE: password authentication failed/);
    const suite = (name: string, attr: string) => xpath(xml, `/testsuites/testsuite[@name="${name}"]/@${attr}`);
    expect([suite('database', 'tests'), suite('database', 'failures'), suite('database', 'errors'), suite('database', 'skipped'), suite('database', 'time')])
      .toEqual(['2', '1', '0', '1', '1.234']);
    expect([suite('storage', 'errors'), suite('storage', 'failures')]).toEqual(['1', '0']);
    expect(suite('auth', 'skipped')).toBe('1');
    // totals agree with the suites and with the fixture
    expect(count(xml, '//testcase')).toBe(fixtureResults.length);
    expect(Number(xpath(xml, 'sum(/testsuites/testsuite/@tests)'))).toBe(9);
  });

  it('testcase: classname = area, name = id [instance]: title, time in seconds with 3 decimals', () => {
    const tc = '//testcase[@name="database.postgres.auth [flyteadmin]: PostgreSQL accepts the credentials"]';
    expect(count(xml, tc)).toBe(1);
    expect(xpath(xml, `${tc}/@classname`)).toBe('database');
    expect(xpath(xml, `${tc}/@time`)).toBe('1.234');
    expect(xpath(xml, '//testcase[@name="dns.admin.resolves: Admin endpoint resolves"]/@time')).toBe('0.003');
  });

  it('maps each status on purpose', () => {
    const tc = (id: string) => `//testcase[starts-with(@name, "${id}")]`;
    // pass: no failure/error/skipped
    expect(count(xml, `${tc('dns.admin.resolves')}/*`)).toBe(0);
    // warn: passes, with WARN: in system-out
    expect(count(xml, `${tc('kubernetes.namespace.exists')}/failure | ${tc('kubernetes.namespace.exists')}/error | ${tc('kubernetes.namespace.exists')}/skipped`)).toBe(0);
    expect(xpath(xml, `${tc('kubernetes.namespace.exists')}/system-out`)).toMatch(/^WARN: namespace "flyte" does not exist yet/);
    // fail: <failure type=messageId message=message>
    expect(xpath(xml, `${tc('database.postgres.auth')}/failure/@type`)).toBe('authFailed');
    expect(xpath(xml, `${tc('database.postgres.auth')}/failure/@message`)).toBe('ROOT CAUSE: password authentication failed for user "flyte" (28P01)');
    // a consequence names its root cause first
    expect(xpath(xml, `${tc('ingress.grpc.health')}/failure/@message`)).toBe('caused by tls.ingress.expiry: TLS handshake with flyte.example.com:443 failed: certificate has expired');
    expect(xpath(xml, `${tc('database.postgres.auth')}/failure`)).toContain('Fix: configuration.database.password (values.yaml)');
    // error: <error>
    expect(xpath(xml, `${tc('storage.s3.put')}/error/@type`)).toBe('timeout');
    expect(count(xml, `${tc('storage.s3.put')}/failure`)).toBe(0);
    // skip: <skipped message=reason/>
    expect(xpath(xml, `${tc('database.postgres.createdb')}/skipped/@message`)).toBe('blocked by database.postgres.auth [flyteadmin] (fail)');
    expect(xpath(xml, `${tc('auth.oidc.discovery')}/skipped/@message`)).toBe('auth is not enabled in the values or the client config');
  });

  it('hint and evidence (details JSON) are in system-out', () => {
    const out = xpath(xml, '//testcase[starts-with(@name, "database.postgres.auth")]/system-out');
    expect(out).toContain('Fix: configuration.database.password (values.yaml)');
    expect(out).toContain('Docs: flyte-doctor explain database.postgres.auth · docs/checks.md#databasepostgresauth');
    const json = out.slice(out.indexOf('Details: ') + 'Details: '.length);
    expect(JSON.parse(json)).toEqual(fixtureResults[2]!.details);
  });

  it('escapes hostile text and strips characters XML forbids; attribute newlines survive parsing', () => {
    const msg = xpath(xml, '//testcase[starts-with(@name, "storage.s3.put")]/error/@message');
    expect(msg).toBe(`ROOT CAUSE: timed out after 10s; server said: bad <tag> & "quotes" 'apos' ctl lone  end`);
    expect(xml).not.toMatch(/[\u0001\uFFFF]/);
    expect(xpath(xml, '//testcase[starts-with(@name, "tls.ingress.expiry")]/failure/@message')).toBe('ROOT CAUSE: certificate expires in 3 days | issuer: CN=R3\nsecond line');
  });

  it('run metadata as properties', () => {
    const prop = (name: string) => xpath(xml, `/testsuites/testsuite[1]/properties/property[@name="${name}"]/@value`);
    expect(prop('runId')).toBe('fd-20250115-102030-abcd');
    expect(prop('command')).toBe('preflight');
    expect(prop('chart')).toBe('flyte-binary');
    expect(prop('namespace')).toBe('flyte');
    expect(prop('tool.version')).toBe('0.1.0');
    expect(prop('startedAt')).toBe('2025-01-15T10:20:30.000Z');
    expect(prop('version.postgres')).toBe('16.3');
    expect(prop('residue')).toBe('none');
    expect(prop('rootCauses')).toBe('database.postgres.auth [flyteadmin], tls.ingress.expiry, storage.s3.put [metadata]');
  });

  it('an empty run is an empty <testsuites> with zero totals', () => {
    const empty = renderJunit(makeEmptyReport());
    expect(count(empty, '//testsuite')).toBe(0);
    expect([xpath(empty, '/testsuites/@tests'), xpath(empty, '/testsuites/@failures'), xpath(empty, '/testsuites/@errors')]).toEqual(['0', '0', '0']);
  });
});
