// flyte.config.live with auth on, on the REAL kube-apiserver with the real rendered flyte-binary chart: the
// live config's auth.authorizedUris (the token audiences flyteadmin accepts) against the values' list. A live
// ConfigMap whose list lacks the values' public URL (edited by hand, values never rolled out) makes every
// token for that URL fail "invalid audience"; it passed before ("runs with the values' configuration").
// The chart's own in-cluster URIs (http://<fullname>[.<ns>…]:8088) are not a difference.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import { installFlyte, patchObject, removeInstall, setPodState, type InstallOptions } from '../../infra/flyte-install.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-j-live', release: 'hxj' };
const ns = o.namespace!;
const cm = 'hxj-flyte-binary-config';
const dep = 'hxj-flyte-binary';
const dir = mkdtempSync(join(tmpdir(), 'hx-j-live-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const valuesFile = (text: string): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), text); return f; };
let bed: string;
let authOn: string;
const target = (): Target => loadTarget({ values: [bed, authOn], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: ns } as Parameters<typeof loadTarget>[0]);
const run = async () => (await runCheck('flyte.config.live', target())).result;
const internal = [`http://${dep}:8088`, `http://${dep}.${ns}:8088`, `http://${dep}.${ns}.svc:8088`, `http://${dep}.${ns}.svc.cluster.local:8088`];
const liveAuth = async (uris: string[]) => {
  await patchObject(tb(), 'ConfigMap', cm, { data: { '004-auth.yaml': `server:\n  security:\n    useAuth: true\nauth:\n  authorizedUris:\n${uris.map((u) => `    - ${u}\n`).join('')}` } }, ns);
  await setPodState(tb(), dep, { containers: { '*': { running: true } } }, o);
};

describe.sequential('hx-j: authorizedUris of the live config against the values, auth on', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await installFlyte(tb(), 'flyte-binary', o);
    bed = valuesFile(readFileSync(join(tb().dir, 'values.yaml'), 'utf8'));
    authOn = valuesFile('configuration:\n  auth:\n    enabled: true\n    authorizedUris:\n      - https://flyte.hxj.test\n');
  }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); rmSync(dir, { recursive: true, force: true }); }, 90_000);

  it('the live list is the values\' plus the chart\'s in-cluster URIs: no difference', async () => {
    await liveAuth(['https://flyte.hxj.test/', ...internal]);
    const r = await run();
    expect(r.status, r.message).toBe('pass');
    expect(r.message).toContain('auth');
  }, 60_000);

  it('the live list lacks the values\' public URL and has another: fail differs naming both, the ConfigMap key and the values key', async () => {
    await liveAuth(['https://flyte.old.example.com', ...internal]);
    const r = await run();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.config('configuration.auth.authorizedUris') });
    expect(r.message).toContain('the live config lacks https://flyte.hxj.test and has https://flyte.old.example.com the values do not list');
    expect(r.message).toContain(`: configuration.auth.authorizedUris), the live config says "https://flyte.old.example.com" (ConfigMap ${ns}/${cm} key 004-auth.yaml: auth.authorizedUris)`);
    expect(r.message).not.toContain(':8088');
    expect(r.hint).toContain('change configuration.auth.authorizedUris in the values instead');
    expect(r.hint).toContain(`helm upgrade hxj flyteorg/flyte-binary -n ${ns}`);
  }, 60_000);
});
