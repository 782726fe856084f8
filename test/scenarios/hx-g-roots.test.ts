// One fault, one root: each scenario breaks ONE input of the healthy test bed (a values key, the
// client config, the kubeconfig context, a flag) and asserts that the report names exactly one
// root cause, the right check with the right messageId and a fix naming the right key, and that
// every other non-pass result of that fault (warnings included, not only failures) points at it.
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/engine/types.js';
import { getTestbed } from '../harness/testbed.js';
import { runScenario, TESTBED_WARNINGS, type ScenarioInputs, type ScenarioReport } from './harness.js';

const key = (r: Pick<CheckResult, 'id' | 'instance'>) => (r.instance === undefined ? r.id : `${r.id}[${r.instance}]`);

function oneRoot(report: ScenarioReport, root: string, messageId: string, fix: string[]): void {
  const show = () => report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip')
    .map((r) => `${key(r)} ${r.status} ${r.messageId ?? ''} cause=${r.cause ?? '-'}${r.rootCause ? ' [root]' : ''}${r.explainedBy ? ` -> ${r.explainedBy}` : ''}: ${r.message}`).join('\n  ');
  const roots = report.results.filter((r) => r.rootCause).map(key);
  expect(roots, `roots\n  ${show()}`).toEqual([root]);
  const r = report.results.find((x) => key(x) === root)!;
  expect(r.messageId, show()).toBe(messageId);
  for (const s of fix) expect(r.hint ?? '', `root fix names ${s}`).toContain(s);
  const loose = report.results.filter((x) => (x.status === 'warn' || x.status === 'fail' || x.status === 'error') && key(x) !== root && !TESTBED_WARNINGS.has(x.id) && x.explainedBy !== root).map(key);
  expect(loose, `non-pass results that do not point at ${root}\n  ${show()}`).toEqual([]);
}

const cases: { name: string; phase: 'preflight' | 'verify'; inputs: ScenarioInputs | (() => ScenarioInputs); root: string; messageId: string; fix: string[]; alsoExplained?: string[] }[] = [
  // The identity may install nothing: every check that could not read (namespace, capacity,
  // IngressClass, Secret) is the same missing binding as the 94 missing install permissions.
  { name: 'preflight as a restricted user: one root, the install permissions', phase: 'preflight', inputs: { args: ['--context', 'restricted'] },
    root: 'kubernetes.rbac.install', messageId: 'missingPermissions', fix: ['--user=restricted'] },
  // verify has no install-permission check: the first read that was refused is the root of the rest
  // (CRD, webhook, project namespaces, quotas, the access review, the TLS Secret).
  { name: 'verify as a restricted user: one root, every refused read points at it', phase: 'verify', inputs: { args: ['--context', 'restricted'] },
    root: 'kubernetes.namespace.exists', messageId: 'cannotRead', fix: ['--user=restricted'], alsoExplained: ['flyte.metrics.endpoints'] },
  // verify with a values host that does not resolve: the NXDOMAIN, the connect probe and
  // flyte.config.live's "the release runs with another host" (keyed by the unreachable address) are
  // one fault, and the DNS finding's fix names the values key that gave the name.
  { name: 'verify, database host that does not resolve: one root, flyte.config.live points at it', phase: 'verify', inputs: { set: ['configuration.database.host=db.missing.test'] },
    root: 'dns.hosts.resolve[database-flyteadmin]', messageId: 'nxdomain', fix: ['configuration.database.host (--set: configuration.database.host)', 'the installed release runs with another'] },
  // verify with https:// on MinIO's plain port: the S3 probe sees plain text, flyte.config.live sees
  // another endpoint than the release's: one fault.
  { name: 'verify, S3 endpoint https on a plain port: one root, flyte.config.live points at it', phase: 'verify',
    inputs: { set: ['configuration.storage.providerConfig.s3.endpoint=https://127.0.0.1:19000', 'configuration.storage.providerConfig.s3.disableSSL=false'] },
    root: 'storage.s3.endpoint', messageId: 'tlsToPlainPort', fix: ['configuration.storage.providerConfig.s3.endpoint'] },
  // verify with another access key whose policy lacks s3:PutObject: flyte.config.live guesses a
  // rejected login for the other key, the probe finds the key works and lacks one right: one fault.
  { name: 'verify, access key without s3:PutObject: one root, flyte.config.live points at it', phase: 'verify',
    inputs: () => ({ set: [`configuration.storage.providerConfig.s3.accessKey=${getTestbed().minio.users.noPut.accessKey}`, `configuration.storage.providerConfig.s3.secretKey=${getTestbed().minio.users.noPut.secretKey}`] }),
    root: 'storage.s3.put[metadata]', messageId: 'permissionDenied', fix: ['s3:PutObject', 'the installed release runs with another storage access key id'] },
  // verify with a typo in the values' ingress.host: the client (right) dials the installed host;
  // the Ingresses serve it, so the values' host is the wrong one, and the client's "other host than
  // the values' Ingress" is that same fault, not a fix of admin.endpoint.
  { name: 'verify, ingress.host typo: one root naming ingress.host, the client mismatch points at it', phase: 'verify', inputs: { set: ['ingress.host=flyte-x.test'] },
    root: 'dns.ingress.address', messageId: 'noIngress', fix: ['set ingress.host: flyte.test (given with --set)'] },
  // a typo in admin.endpoint's host: the NXDOMAIN is the root, and the client's "other host than the
  // values' Ingress" warning is the same fault.
  { name: 'preflight, admin.endpoint host typo: one root, the client mismatch points at it', phase: 'preflight', inputs: { flytectl: { admin: { endpoint: 'dns:///flytex.test:18443' } } },
    root: 'dns.admin.resolve', messageId: 'nxdomain', fix: ['admin.endpoint: "dns:///flyte.test:18443"'] },
  // verify with a namespace typo: nothing is installed there, and "no Ingress serves the host" (none
  // at all in that namespace) is that fault too, not a wrong ingress.host.
  { name: 'verify, namespace typo: one root, the missing Ingress points at it', phase: 'verify', inputs: { args: ['--namespace', 'hx-g-flyet'] },
    root: 'kubernetes.namespace.exists', messageId: 'notInstalled', fix: ['-n'] },
];

describe.sequential('one fault, one root (helper G)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const report = await runScenario(c.phase, typeof c.inputs === 'function' ? c.inputs() : c.inputs);
      oneRoot(report, c.root, c.messageId, c.fix);
      // checks that warn on the healthy bed too, whose warning here is this fault (403 on the API server's proxy)
      for (const id of c.alsoExplained ?? []) {
        const r = report.results.find((x) => x.id === id)!;
        expect(r.message).toMatch(/403/);
        expect(r.explainedBy, `${id}: ${r.message}`).toBe(c.root);
      }
    }, 60_000);
  }
});
