// Objects the values reference (kubernetes.objects.*), broken one at a time in the otherwise healthy
// test bed and run through the real CLI: an IngressClass that does not exist, a TLS Secret nobody
// creates, an image pull Secret that is missing, and (verify) the TLS Secret of a private install
// deleted. The healthy bed's own inputs pass every one of these checks. (cert-manager cases run in
// test/checks/kubernetes/objects.certmanager.test.ts, which loads cert-manager's CRDs itself.)
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { deleteObject, installFlyte, removeInstall, type InstallOptions } from '../infra/flyte-install.js';
import { describeScenarios, runScenario, type Scenario } from './harness.js';

const tb = () => getTestbed();
const OBJECTS = ['kubernetes.objects.apis', 'kubernetes.objects.certmanager', 'kubernetes.objects.ingressclass', 'kubernetes.objects.secrets', 'kubernetes.objects.storageclass'];

const scenarios: Scenario[] = [
  {
    name: 'the IngressClass the values name does not exist: the classes that exist and the key',
    phase: 'preflight', only: ['kubernetes'],
    inputs: { set: ['ingress.ingressClassName=fd-ref-scn-nope'] },
    expect: { failing: ['kubernetes.objects.ingressclass'], root: 'kubernetes.objects.ingressclass', messageId: 'missing', fix: ['`ingress.ingressClassName`', 'nginx'] },
  },
  {
    name: 'the TLS Secret of the Ingress does not exist and nothing creates it: the whole preflight, only this fails',
    phase: 'preflight',
    inputs: { values: { ingress: { tls: [{ secretName: 'fd-ref-scn-tls', hosts: ['flyte.test'] }] } } },
    expect: { failing: ['kubernetes.objects.secrets'], root: 'kubernetes.objects.secrets', messageId: 'tlsSecretMissing', fix: ['create secret tls fd-ref-scn-tls', '`ingress.tls[0].secretName`'] },
  },
  {
    name: 'an image pull Secret that is missing: the docker-registry command and the key',
    phase: 'preflight', only: ['kubernetes'],
    inputs: { values: { serviceAccount: { imagePullSecrets: [{ name: 'fd-ref-scn-regcred' }] } } },
    expect: { failing: ['kubernetes.objects.secrets'], root: 'kubernetes.objects.secrets', messageId: 'missing', fix: ['create secret docker-registry fd-ref-scn-regcred', '`serviceAccount.imagePullSecrets[0].name`'] },
  },
  {
    name: 'verify: the TLS Secret of the install was deleted',
    phase: 'verify', only: ['kubernetes'],
    inputs: { args: ['-n', 'fd-ref-scn-v'] },
    setup: async () => {
      const o: InstallOptions = { namespace: 'fd-ref-scn-v', release: 'fdrefscn' };
      await removeInstall(tb(), 'flyte-binary', o);
      await installFlyte(tb(), 'flyte-binary', o);
      await deleteObject(tb(), 'Secret', 'flyte-tls', o);
      return async () => { await removeInstall(tb(), 'flyte-binary', o); };
    },
    expect: { failing: ['kubernetes.objects.secrets'], root: 'kubernetes.objects.secrets', messageId: 'tlsSecretMissing', fix: ['create secret tls flyte-tls'] },
  },
];

describeScenarios('objects the values reference', scenarios);

describe('the healthy test bed', () => {
  for (const phase of ['preflight', 'verify'] as const) {
    it(`${phase}: the objects its values reference are there (nginx IngressClass, flyte-tls Secret)`, async () => {
      const r = await runScenario(phase, {}, { only: ['kubernetes'] });
      const mine = r.results.filter((x) => OBJECTS.includes(x.id));
      expect(mine.filter((x) => x.status !== 'pass' && x.status !== 'skip').map((x) => `${x.id} ${x.status}: ${x.message}`)).toEqual([]);
      expect(mine.find((x) => x.id === 'kubernetes.objects.secrets')).toMatchObject({ status: 'pass', message: 'Secret flyte/flyte-tls exists with tls.crt, tls.key' });
      if (phase === 'preflight') expect(mine.find((x) => x.id === 'kubernetes.objects.ingressclass')).toMatchObject({ status: 'pass', message: 'IngressClass nginx exists: controller k8s.io/ingress-nginx, ingress-nginx (Kubernetes community)' });
      expect(r.code).toBe(0);
    }, 60_000);
  }
});
