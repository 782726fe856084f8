// One fault, one root: flyte-binary crash-loops because of a fault a storage or database check finds from
// here (a metadata bucket that does not exist; a database that does not exist). Before, the crash loop was a
// root of its own (cause backend:flyteadmin, "its log shows why it exits"), next to the storage/database
// check's root. Now the crash text is read as that fault and flyte.deployments.ready is explained by the
// check. Through the real CLI (`verify -o json`), with the test bed's values changed in one key, against a
// private flyte-binary install (namespace hz-f-root) on the test bed's REAL kube-apiserver, MinIO and PostgreSQL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, removeInstall, setPodState, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { runCli } from '../../cli/helpers.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hz-f-root', release: 'hzfr', noWebhook: true };
let inst: Install;
const dir = mkdtempSync(join(tmpdir(), 'hz-f-root-'));
type Values = Record<string, any>;

async function verify(edit: (v: Values) => void, only: string[]): Promise<{ code: number; results: CheckResult[]; stderr: string }> {
  const v = parse(readFileSync(join(tb().dir, 'values.yaml'), 'utf8')) as Values;
  edit(v);
  const f = join(dir, 'values.yaml');
  writeFileSync(f, stringify(v));
  const r = await runCli(['verify', '-f', f, '--kubeconfig', tb().kube.kubeconfig, '--context', 'admin', '-n', o.namespace!, '--dns-server', tb().dns.server, '--only', only.join(','), '-o', 'json'], { env: { PATH: process.env.PATH }, home: dir, cwd: dir });
  const doc = JSON.parse(r.stdout) as { results: CheckResult[] };
  return { code: r.code, results: doc.results, stderr: r.stderr };
}
const crash = (message: string) => ({ containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=flyte' }, restarts: 9, lastTerminated: { reason: 'Error', exitCode: 1, message } } } });
const key = (r: CheckResult) => (r.instance === undefined ? r.id : `${r.id}[${r.instance}]`);
const roots = (results: CheckResult[]) => results.filter((r) => r.rootCause && (r.status === 'fail' || r.status === 'error')).map(key);

describe.sequential('hz-f: a crash loop caused by what a storage/database check finds is explained by that check', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 60_000);
  afterAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('metadata bucket missing (NoSuchBucket in the pod, in MinIO too): one root, storage.s3.bucket', async () => {
    const bucket = 'hz-f-no-such-bucket';
    await setPodState(tb(), inst.fullname!, crash(`Container [${bucket}] lookup failed. Error NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404, request id: 17A3B`), o);
    try {
      const { code, results, stderr } = await verify((v) => { v['configuration'].storage.metadataContainer = bucket; }, ['storage.s3.bucket', 'flyte.deployments.ready']);
      expect(code, stderr).toBe(1);
      const b = results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
      expect(b).toMatchObject({ status: 'fail', messageId: 'noSuchBucket', rootCause: true });
      const d = results.find((r) => r.id === 'flyte.deployments.ready')!;
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'crashLooping', cause: b.cause, explainedBy: 'storage.s3.bucket[metadata]' });
      expect(d.hint).toContain('configuration.storage.metadataContainer');
      expect(roots(results)).toEqual(['storage.s3.bucket[metadata]']);
    } finally { await makeReady(tb(), inst.fullname!, o); }
  }, 60_000);

  it('database missing (3D000 in the pod, on the server too): one root, database.postgres.database', async () => {
    const dbname = 'hz_f_no_such_db';
    await setPodState(tb(), inst.fullname!, crash(`failed to connect to \`host=${tb().postgres.host} user=flyte_owner database=${dbname}\`: server error (FATAL: database "${dbname}" does not exist (SQLSTATE 3D000))`), o);
    try {
      const { code, results, stderr } = await verify((v) => { v['configuration'].database.dbname = dbname; }, ['database.postgres.database', 'flyte.deployments.ready']);
      expect(code, stderr).toBe(1);
      const db = results.find((r) => r.id === 'database.postgres.database')!;
      expect(db.status, db.message).toBe('fail');
      expect(db.rootCause).toBe(true);
      const d = results.find((r) => r.id === 'flyte.deployments.ready')!;
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'crashLooping', cause: db.cause, explainedBy: key(db) });
      expect(roots(results)).toEqual([key(db)]);
    } finally { await makeReady(tb(), inst.fullname!, o); }
  }, 60_000);
});
