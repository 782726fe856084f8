// Two input readings found by the hostile-inputs sweep:
// - a value tagged !!binary is the string of its bytes, as go-yaml (Helm, client-go, flytectl) reads
//   it; the yaml package gives a Uint8Array, which the loader took for a map of numbered keys;
// - every user entry of a kubeconfig carries credentials a server may echo, not only the selected one's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/config/load.js';
import { makeRedactor } from '../../src/engine/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-yaml-binary-'));
const file = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
const load = (values: string[], kubeconfig?: string) => loadTarget({ values, set: [], env: {}, cwd: dir, home: dir, ...(kubeconfig ? { kubeconfig } : {}) });

describe('!!binary values', () => {
  it('a !!binary secret key is its decoded string, and a secret', () => {
    const secret = ['bin', 'Secret', '-7Qz', '0091'].join('');
    const f = file('bin.yaml', `configuration:\n  storage:\n    provider: s3\n    metadataContainer: m\n    userDataContainer: u\n    providerConfig:\n      s3:\n        authType: accesskey\n        accessKey: minio-user\n        secretKey: !!binary ${Buffer.from(secret).toString('base64')}\n`);
    const t = load([f]);
    expect(t.storage?.secretKey?.reveal()).toBe(secret);
    expect(makeRedactor({ secrets: t.secrets ?? [] })(`echo ${secret}`)).toBe('echo ***');
  });
});

describe('kubeconfig credentials of every user', () => {
  it('an exec argument secret of a user the current context does not select is masked too', () => {
    const other = ['other', 'Client', 'Secret', '-55x'].join('');
    const k = file('kubeconfig', `apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: c, user: u2}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: tok-selected-123456}\n- name: u2\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      args: [get-token, --client-secret, ${other}]\n`);
    const t = load([], k);
    const r = makeRedactor({ secrets: t.secrets ?? [] });
    expect(r(`token tok-selected-123456 and ${other}`)).toBe('token *** and ***');
  });
});
