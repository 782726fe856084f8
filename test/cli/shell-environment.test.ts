// Variables of the operator's shell that Node or an SDK would apply to flyte-doctor's own clients,
// but that neither Flyte's clients (flytectl, pyflyte) nor its pods read: the findings must be the
// same with and without them. The published CLI against the test bed's self-signed ingress variant.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { testbedSecrets } from '../scenarios/harness.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');

function verify(extra: NodeJS.ProcessEnv) {
  const tb = getTestbed();
  const args = ['verify', '-f', join(tb.dir, 'values.yaml'), '--flytectl-config', join(tb.dir, 'flytectl.yaml'), '--kubeconfig', join(tb.dir, 'kubeconfig'),
    '--dns-server', tb.dns.server, '--endpoint', `dns:///${tb.nginx.host}:${tb.nginx.selfSigned}`, '--only', 'tls.*', '--only', 'ingress.grpc.admin', '--only', 'flyte.admin.http', '-o', 'json', '--timeout', '5s'];
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'fd-home-')), ...extra }, timeout: 60_000 });
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; messageId?: string; message: string }[]; rootCauses: string[] };
  return { doc, stderr: r.stderr, by: (id: string) => doc.results.find((x) => x.id === id)! };
}

describe('the shell environment of the run', () => {
  it('NODE_TLS_REJECT_UNAUTHORIZED=0 changes no TLS finding: a self-signed ingress is still untrusted, one root', () => {
    const plain = verify({});
    const insecure = verify({ NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(insecure.doc.rootCauses).toEqual(plain.doc.rootCauses);
    expect(insecure.doc.rootCauses).toEqual(['tls.admin.trust']);
    for (const r of plain.doc.results) expect({ id: r.id, status: insecure.by(r.id).status, messageId: insecure.by(r.id).messageId }).toEqual({ id: r.id, status: r.status, messageId: r.messageId });
    expect(insecure.by('ingress.grpc.admin').message).toMatch(/self-signed/);
    expect(insecure.stderr).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED/); // Node's insecurity warning: no TLS client saw it
  });

  it('NODE_DEBUG=http and GRPC_TRACE: what Node and grpc-js print themselves is redacted too (request headers carry the bearer token and S3 signatures)', () => {
    const tb = getTestbed();
    const args = ['verify', '-f', join(tb.dir, 'values.yaml'), '--flytectl-config', join(tb.dir, 'flytectl.yaml'), '--kubeconfig', join(tb.dir, 'kubeconfig'),
      '--dns-server', tb.dns.server, '--only', 'kubernetes.*', '--only', 'storage.*', '--only', 'ingress.grpc.admin', '--timeout', '5s'];
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'fd-home-')), NODE_DEBUG: 'http,https,net,tls', GRPC_TRACE: 'all', GRPC_VERBOSITY: 'DEBUG' } });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    // the debug output is there (so this test can fail): Node printed the requests' headers
    expect(r.stderr).toMatch(/authorization: 'Bearer \*\*\*'/);
    expect(r.stderr).toMatch(/Credential=\*\*\*|authorization: '\*\*\*/);
    for (const secret of testbedSecrets()) expect(r.stderr.includes(secret), `a test bed secret (${secret.slice(0, 3)}...) in stderr`).toBe(false);
  });
});
