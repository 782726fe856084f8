// What a render references besides volumes: envFrom, env valueFrom and imagePullSecrets of the pods
// and of their ServiceAccount, which kubernetes.objects.secrets then checks exist.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../src/config/manifests.js';
import { referencesFromManifests } from '../../src/flyte/references.js';

describe('references of a render beyond its volumes', () => {
  it('envFrom, env valueFrom (with the key) and imagePullSecrets of the Deployment and its ServiceAccount', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-mrefs-'));
    const f = join(dir, 'render.yaml');
    writeFileSync(f, [
      'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: flyteadmin, namespace: flyte}', 'imagePullSecrets: [{name: sa-pull}]', '---',
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: flyteadmin, namespace: flyte, labels: {app.kubernetes.io/name: flyteadmin}}',
      'spec:', '  selector: {matchLabels: {app: a}}', '  template:', '    metadata: {labels: {app: a}}', '    spec:', '      serviceAccountName: flyteadmin',
      '      imagePullSecrets: [{name: pod-pull}]', '      containers:', '      - name: flyteadmin', '        image: x',
      '        envFrom: [{secretRef: {name: extra-env}}, {configMapRef: {name: extra-cm, optional: true}}]',
      '        env: [{name: OAUTH_SECRET, valueFrom: {secretKeyRef: {name: oauth, key: client_secret}}}]', '',
    ].join('\n'));
    const set = readManifests(f, dir);
    expect(set.deployments[0]).toMatchObject({ imagePullSecrets: ['pod-pull'], envFrom: [{ kind: 'Secret', name: 'extra-env', container: 'flyteadmin' }, { kind: 'ConfigMap', name: 'extra-cm', optional: true }], envRefs: [{ kind: 'Secret', name: 'oauth', key: 'client_secret', env: 'OAUTH_SECRET' }] });
    expect(set.serviceAccounts[0]?.imagePullSecrets).toEqual(['sa-pull']);
    const refs = referencesFromManifests(set, 'flyte').map((r) => `${r.kind} ${r.name}${r.keys ? ` [${r.keys.join(',')}]` : ''}${r.optional ? ' (optional)' : ''}`);
    expect(refs).toEqual(expect.arrayContaining(['Secret extra-env', 'ConfigMap extra-cm (optional)', 'Secret oauth [client_secret]', 'Secret pod-pull', 'Secret sa-pull']));
  });
});
