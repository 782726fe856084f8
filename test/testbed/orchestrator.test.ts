// The orchestrator: state.json follows the Testbed contract, the generated target files point at
// the healthy test bed, `status` probes every part, and a server that cannot start makes the CLI
// exit non-zero naming the server and its log file.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestbed, type Testbed } from '../harness/testbed.js';
import { REPO_ROOT } from '../infra/common.js';
import { status } from '../infra/testbed.js';

let tb: Testbed;
beforeAll(() => { tb = getTestbed(); });

describe('state.json and generated files', () => {
  it('state.json has every section of the contract', () => {
    for (const k of ['dir', 'caCert', 'postgres', 'minio', 'gcs', 'kube', 'admin', 'nginx', 'dns', 'stall', 'closedPort', 'oidc'] as const) {
      expect(tb[k], k).toBeDefined();
    }
    expect(existsSync(tb.caCert)).toBe(true);
  });

  it('values.yaml (flyte-binary schema) points at the test bed Postgres, MinIO and ingress', () => {
    const v = parse(readFileSync(join(tb.dir, 'values.yaml'), 'utf8'));
    expect(v.configuration.database).toEqual({
      username: tb.postgres.owner.user, password: tb.postgres.owner.password, host: '127.0.0.1', port: tb.postgres.port,
      dbname: tb.postgres.databases.flyteadmin, options: 'sslmode=require',
    });
    expect(v.configuration.storage).toMatchObject({
      metadataContainer: tb.minio.buckets.metadata, userDataContainer: tb.minio.buckets.userdata, provider: 's3',
      providerConfig: { s3: { region: tb.minio.region, disableSSL: true, endpoint: tb.minio.endpoint, authType: 'accesskey', accessKey: tb.minio.root.accessKey, secretKey: tb.minio.root.secretKey } },
    });
    expect(v.configuration.auth.enabled).toBe(false);
    expect(v.ingress).toMatchObject({ create: true, host: tb.nginx.host, ingressClassName: 'nginx', grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } });
  });

  it('flytectl.yaml, kubeconfig and env point at the ingress, the API server and the DNS server', () => {
    const f = parse(readFileSync(join(tb.dir, 'flytectl.yaml'), 'utf8'));
    expect(f.admin).toEqual({ endpoint: `dns:///${tb.nginx.host}:${tb.nginx.https}`, insecure: false, caCertFilePath: tb.caCert });
    const k = parse(readFileSync(join(tb.dir, 'kubeconfig'), 'utf8'));
    expect(k.clusters.map((c: { cluster: { server: string } }) => c.cluster.server)).toContain(tb.kube.server);
    const env = readFileSync(join(tb.dir, 'env'), 'utf8');
    expect(env).toContain(`FLYTE_DOCTOR_DNS_SERVER=${tb.dns.server}`);
    expect(env).toMatch(/# flyte-doctor preflight -f \S+values\.yaml --flytectl-config \S+flytectl\.yaml --kubeconfig \S+kubeconfig --dns-server 127\.0\.0\.1:15353/);
  });

  it('status probes every part as up', async () => {
    const s = await status();
    expect(s.parts.filter((p) => !p.ok)).toEqual([]);
    expect(s.up).toBe(true);
  });
});

describe('testbed CLI', () => {
  it('exits non-zero naming the server and its log file when a server cannot start', async () => {
    // A second test bed in a temporary directory: its stall port is taken by the running one.
    const dir = mkdtempSync(join(tmpdir(), 'fd-testbed-'));
    try {
      const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/infra/testbed-cli.ts'), 'up', '--only', 'stall'],
        { cwd: REPO_ROOT, env: { ...process.env, FLYTE_DOCTOR_TESTBED_DIR: dir } }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('test bed: stall failed to start');
      expect(r.stderr).toContain(`port 127.0.0.1:${tb.stall.port} is taken`);
      expect(r.stderr).toContain(`log: ${join(dir, 'logs', 'stall.log')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown --install chart with usage exit code 2', async () => {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/infra/testbed-cli.ts'), 'up', '--install', 'flyte-nope'],
      { cwd: REPO_ROOT }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--install must be flyte-binary or flyte-core');
  });
});
