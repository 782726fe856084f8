// --in-cluster launcher against hostile credentials and API servers: every call it makes is bounded
// by --in-cluster-timeout, whatever the exec credential plugin or the API server does.
// - a plugin that never exits: stopped (its whole process group) at the time limit, said as such;
// - a plugin that exits but leaves a process holding its stdout (`daemon & echo {...}`): the
//   credential it printed is used after a short grace (it was 30 s: execFile waits for the pipe);
// - an API server that answers its headers, then trickles the body a byte a second: the socket's
//   idle timeout never fires; the request's total deadline does, naming what was met.
// The local checks are limited to one values-only check, so only the launcher touches the plugin.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli, tmpFiles } from './helpers.js';

const bed = getTestbed();
const PORT = 31820; // helper y's range
const values = 'configuration:\n  database: {host: db.example.com, port: 5432, username: u, password: hy-y-pw-1, dbname: flyteadmin}\n';
const cred = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: bed.kube.tokens.admin } });
const leftPids: number[] = [];

function kubeconfig(server: string, user: string, ca = true): string {
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '  - name: c', '    cluster:', `      server: ${server}`, ...(ca ? [`      certificate-authority: ${bed.kube.caFile}`] : []),
    'users:', '  - name: u', '    user:', ...user.split('\n').map((l) => `      ${l}`),
    'contexts:', '  - name: c', '    context: {cluster: c, user: u, namespace: flyte}', 'current-context: c', '',
  ].join('\n');
}
const execUser = (script: string) => `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: sh\n  args: ["-c", ${JSON.stringify(script)}]\n  interactiveMode: Never`;

async function launch(dir: string, timeout: string) {
  const t0 = Date.now();
  const r = await runCli(['verify', '-f', 'values.yaml', '--kubeconfig', join(dir, 'kubeconfig'), '--in-cluster', '--in-cluster-timeout', timeout,
    '--service-account', 'hy-y-no-such-sa', '--only', 'values.inputs.keys', '--timeout', '3s', '-o', 'json'], { cwd: dir });
  if (!r.stdout.trim()) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; message: string }[] };
  return { ms: Date.now() - t0, pod: doc.results.find((x) => x.id === 'kubernetes.incluster.pod')!, r };
}

// running (a killed process whose parent is gone can stay a zombie where PID 1 does not reap: not running)
const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

let trickle: Server;
beforeAll(async () => {
  trickle = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
    res.write('{');
    const t = setInterval(() => res.write(' '), 1000);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => trickle.listen(PORT, '127.0.0.1', r));
});
afterAll(async () => {
  trickle.closeAllConnections();
  await new Promise((r) => trickle.close(r));
  for (const pid of leftPids) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
});

describe('the --in-cluster launcher is bounded by --in-cluster-timeout', () => {
  it('an exec plugin that never exits is stopped at the limit, its process group killed, and said as such', async () => {
    const dir = tmpFiles({ 'values.yaml': values });
    const pidFile = join(dir, 'plugin.pid');
    writeKubeconfig(dir, kubeconfig(bed.kube.server, execUser(`sleep 30 & echo $! > ${pidFile}; wait`)));
    const { ms, pod } = await launch(dir, '3s');
    expect(ms, 'the launcher waited for the plugin beyond --in-cluster-timeout').toBeLessThan(6000);
    expect(pod).toMatchObject({ status: 'error', message: expect.stringMatching(/exec credential plugin `sh` did not finish within 3s \(it may be waiting for an interactive login\); it was stopped/) });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    leftPids.push(pid);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid), 'the plugin\'s child outlived the run').toBe(false);
  }, 40_000);

  it('an exec plugin that exits but leaves a process holding its stdout: the credential it printed is used after a short grace', async () => {
    const dir = tmpFiles({ 'values.yaml': values });
    const pidFile = join(dir, 'daemon.pid');
    writeKubeconfig(dir, kubeconfig(bed.kube.server, execUser(`sleep 30 & echo $! > ${pidFile}; echo '${cred}'`)));
    const { ms, pod } = await launch(dir, '20s');
    if (existsSync(pidFile)) leftPids.push(Number(readFileSync(pidFile, 'utf8')));
    expect(ms, 'the launcher waited for the daemon to close the pipe').toBeLessThan(8000);
    // past the plugin: the API server answered with the credential it printed
    expect(pod).toMatchObject({ status: 'fail', message: expect.stringMatching(/^service account hy-y-no-such-sa does not exist in namespace flyte/) });
  }, 40_000);

  it('an API server that trickles its answer a byte a second ends at the limit, naming what it answered', async () => {
    const dir = tmpFiles({ 'values.yaml': values });
    writeKubeconfig(dir, kubeconfig(`http://127.0.0.1:${PORT}`, 'token: hy-y-token-123456', false));
    const { ms, pod, r } = await launch(dir, '3s');
    expect(ms, 'the trickle kept the launcher waiting').toBeLessThan(6000);
    expect(pod).toMatchObject({ status: 'error', message: expect.stringMatching(/GET \/api\/v1\/namespaces\/flyte: http:\/\/127\.0\.0\.1:31820 answered HTTP 200, but its body did not end within 3s/) });
    expect(r.stdout).not.toContain('hy-y-token-123456');
  }, 40_000);
});

function writeKubeconfig(dir: string, text: string) { writeFileSync(join(dir, 'kubeconfig'), text); }
