// Broken-environment scenarios for the inputs themselves: the healthy test bed's values with one
// placeholder left in. values.inputs.placeholders is the root cause; every probe that would use the
// placeholder is blocked (skip, explained by it), the others still run against the real servers.
import { expect } from 'vitest';
import { describe, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { describeScenarios, runScenario, type Scenario, type ScenarioReport } from './harness.js';

const ID = 'values.inputs.placeholders';
const blocked = (r: ScenarioReport, prefix: string) => r.results.filter((x) => x.id.startsWith(prefix));

const scenarios: Scenario[] = [
  {
    name: 'a <MARKER> left as the database host: the database probes are blocked, storage still runs and passes',
    phase: 'preflight', only: ['database', 'storage.s3'],
    inputs: { values: { configuration: { database: { host: '<RDS_HOST_DNS>' } } } },
    expect: {
      failing: [ID], root: ID, messageId: 'placeholders', fix: ['configuration.database.host in'],
      check: (r) => {
        const db = blocked(r, 'database.');
        expect(db.length).toBeGreaterThan(5);
        for (const x of db) expect(x, x.id).toMatchObject({ status: 'skip', blockedBy: ID, explainedBy: ID });
        expect(r.results.filter((x) => x.id.startsWith('storage.s3.')).every((x) => x.status === 'pass' || x.status === 'warn')).toBe(true);
        expect(r.results.find((x) => x.id === ID)!.message).toContain('configuration.database.host = <RDS_HOST_DNS>');
      },
    },
  },
  {
    name: 'a Terraform ${var} in the metadata bucket only: that instance is blocked, the other bucket is probed',
    phase: 'preflight', only: ['storage.s3'],
    inputs: { values: { configuration: { storage: { metadataContainer: '${bucket_name}' } } } },
    expect: {
      failing: [ID], root: ID, messageId: 'placeholders', fix: ['templatefile()', 'configuration.storage.metadataContainer'],
      check: (r) => {
        const md = r.results.filter((x) => x.id.startsWith('storage.s3.') && x.instance === 'metadata');
        expect(md.length).toBeGreaterThan(3);
        for (const x of md) expect(x, `${x.id}[metadata]`).toMatchObject({ status: 'skip', blockedBy: ID });
        const ud = r.results.filter((x) => x.id === 'storage.s3.put' && x.instance === 'userdata');
        expect(ud.map((x) => x.status)).toEqual(['pass']);
      },
    },
  },
  {
    name: "the chart's 127.0.0.1:5432 from a values file: the pod's loopback, never this machine's PostgreSQL",
    phase: 'preflight', only: ['database'],
    inputs: { values: { configuration: { database: { port: 5432 } } } },
    expect: {
      failing: [ID], root: ID, messageId: 'podLoopback', fix: ['--in-cluster', 'configuration.database.host'],
      check: (r) => { for (const x of blocked(r, 'database.')) expect(x.blockedBy, x.id).toBe(ID); },
    },
  },
  {
    // "" replaces the chart's default: Flyte would log in as its built-in default user postgres.
    // Probing that user gives "password rejected for postgres" and a fix to ALTER ROLE postgres.
    name: 'the database username written as "": the empty key is the root cause, the login is never tried as postgres',
    phase: 'preflight', only: ['database', 'storage.s3'],
    inputs: { values: { configuration: { database: { username: '' } } } },
    expect: {
      failing: [ID], root: ID, messageId: 'emptyValue', fix: ['configuration.database.username in', 'delete the line to keep the chart\'s default'],
      check: (r) => {
        const me = r.results.find((x) => x.id === ID)!;
        expect(me.message).toMatch(/^1 key set empty in the inputs: configuration\.database\.username = "" \(\S+\): an empty string replaces the chart's default, so the chart renders the key empty and Flyte uses its built-in default, postgres — blocked: database probes$/);
        for (const x of blocked(r, 'database.')) expect(x, x.id).toMatchObject({ status: 'skip', blockedBy: ID });
        expect(r.results.filter((x) => x.id.startsWith('storage.s3.')).every((x) => x.status === 'pass' || x.status === 'warn')).toBe(true);
      },
    },
  },
  {
    name: 'the database host written as "" (Flyte falls back to localhost, the pod itself): named, not probed on this machine\'s loopback',
    phase: 'preflight', only: ['database', 'dns'],
    inputs: { values: { configuration: { database: { host: '' } } } },
    expect: {
      failing: [ID], root: ID, messageId: 'emptyValue', fix: ['configuration.database.host in'],
      check: (r) => {
        expect(r.results.find((x) => x.id === ID)!.message).toContain('configuration.database.host = "" (');
        expect(r.results.find((x) => x.id === ID)!.message).toContain('built-in default, localhost');
        for (const x of blocked(r, 'database.')) expect(x, x.id).toMatchObject({ status: 'skip', blockedBy: ID });
      },
    },
  },
  {
    name: 'a documentation domain as the flytectl endpoint: the endpoint, TLS and ingress probes are blocked',
    phase: 'preflight', only: ['dns.admin.resolve', 'tls', 'client.config.tls-mode'],
    inputs: { flytectl: { admin: { endpoint: 'dns:///flyte.example.com' } } },
    expect: {
      failing: [ID], root: ID, messageId: 'exampleDomain', fix: ['admin.endpoint'],
      check: (r) => { for (const id of ['dns.admin.resolve', 'tls.admin.handshake', 'client.config.tls-mode']) expect(r.results.find((x) => x.id === id), id).toMatchObject({ status: 'skip', blockedBy: ID }); },
    },
  },
];

describeScenarios('scenarios: placeholders in the inputs', scenarios);

describe('settings the values point elsewhere', () => {
  it('flyte-binary configuration.inlineSecretRef and no password in the values: the login cannot be judged from here (warn naming the Secret), never "password rejected" or "unreachable"', async () => {
    const r = await runScenario('preflight', { values: { configuration: { database: { password: null }, inlineSecretRef: 'flyte-inline-config' } } }, { only: ['database'] });
    const auth = r.results.find((x) => x.id === 'database.postgres.auth')!;
    expect(auth).toMatchObject({ status: 'warn', messageId: 'passwordNotHere' });
    expect(auth.message).toContain('the Secret flyte-inline-config named by configuration.inlineSecretRef');
    expect(auth.hint).toContain('PGPASSWORD');
    expect(r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.id}: ${x.message}`)).toEqual([]);
    // With the password given the way the finding says, the login is checked for real.
    const ok = await runScenario('preflight', { values: { configuration: { database: { password: null }, inlineSecretRef: 'flyte-inline-config' } }, env: { PGPASSWORD: getTestbed().postgres.owner.password } }, { only: ['database.postgres.auth'] });
    expect(ok.results.find((x) => x.id === 'database.postgres.auth')).toMatchObject({ status: 'pass', messageId: 'authenticated' });
  }, 60_000);
});
