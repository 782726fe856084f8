// Signals and faults with real signals to the bundled CLI: SIGHUP and SIGTERM are handled like
// Ctrl-C (cleanups run, reports hold what finished, exit 129 / 143); cleanup is bounded as a whole
// and what it could not finish is reported as residue with the command that removes it; a second
// Ctrl-C during cleanup still says what is left before quitting; a fully stalled environment ends
// within --timeout + 0.15 s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { s3Keys } from '../checks/storage/store-target.js';
import { getTestbed } from '../harness/testbed.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');

interface Child { code: Promise<number>; out(): string; err(): string; kill(sig: NodeJS.Signals): void; waitFor(text: string, ms?: number): Promise<void>; startedAt: number; exitedAt(): number }

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Child {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'fd-signals-home-')), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '', exitedAt = 0;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = new Promise<number>((r) => child.on('exit', (c, s) => { exitedAt = Date.now(); r(c ?? (s ? -1 : -2)); }));
  const killer = setTimeout(() => child.kill('SIGKILL'), 55_000);
  void code.then(() => clearTimeout(killer));
  return {
    code, startedAt, out: () => out, err: () => err, exitedAt: () => exitedAt,
    kill: (sig) => child.kill(sig),
    waitFor: (text, ms = 30_000) => new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no "${text}" on stderr within ${ms} ms: ${err}`)), ms);
      const check = () => { if (err.includes(text)) { clearTimeout(t); res(); } };
      child.stderr.on('data', check);
      check();
    }),
  };
}

function pluginDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-signals-'));
  // Waits after the probe object was written (so a signal arrives mid-probe).
  writeFileSync(join(dir, 'wait.mjs'), `export default {
    id: 'storage.test.wait-after-put', title: 'Waits after the probe was written', phases: ['preflight'], dependsOn: ['storage.s3.put'],
    explain: { what: 't', why: 't', fix: 't' },
    async run(ctx) { process.stderr.write('PROBE-WRITTEN\\n'); await new Promise((r) => { const t = setTimeout(r, 30000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); r(); }); }); return { status: 'pass', message: 'waited' }; },
  };\n`);
  // Two cleanups that never finish (a store that stopped answering), each naming its prefix.
  writeFileSync(join(dir, 'stuck.mjs'), `export default [1, 2].map((i) => ({
    id: 'storage.test.stuck-cleanup-' + i, title: 'Registers a cleanup that never finishes', phases: ['preflight'],
    explain: { what: 't', why: 't', fix: 't' },
    async run(ctx) {
      const url = 's3://stuck-bucket-' + i + '/flyte-doctor/' + ctx.runId + '/';
      ctx.defer('delete probe objects ' + url, () => new Promise(() => {}), { command: 'aws s3 rm --recursive ' + url });
      process.stderr.write('CLEANUP-REGISTERED\\n');
      if (process.env.NO_WAIT) return { status: 'pass', message: 'registered' };
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
      return { status: 'pass', message: 'waited' };
    },
  }));\n`);
  return dir;
}

describe('SIGHUP and SIGTERM are handled like Ctrl-C', () => {
  for (const [sig, code] of [['SIGHUP', 129], ['SIGTERM', 143]] as const) {
    it(`${sig} mid-probe: probe objects deleted, reports written, exit ${code}`, async () => {
      const tb = getTestbed();
      const dir = pluginDir();
      const c = start(['preflight', '-f', join(tb.dir, 'values.yaml'), '--plugin', join(dir, 'wait.mjs'), '--only', 'storage.s3.put,storage.test.wait-after-put',
        '--timeout', '60s', '-o', 'json', '--report', `junit=${join(dir, 'out.xml')}`], root);
      await c.waitFor('PROBE-WRITTEN');
      c.kill(sig);
      expect(await c.code, c.err()).toBe(code);
      expect(c.err()).toContain(`flyte-doctor: ${sig}; cleaning up probe objects and writing reports`);
      const doc = JSON.parse(c.out());
      expect(doc.interrupted).toBe('interrupted');
      expect(doc.exitCode).toBe(code);
      expect(doc.residue).toEqual([]);
      expect(readFileSync(join(dir, 'out.xml'), 'utf8')).toContain('<testsuites');
      const prefix = `flyte-doctor/${doc.runId}/`;
      expect(await s3Keys(tb.minio.buckets.metadata, prefix)).toEqual([]);
      expect(await s3Keys(tb.minio.buckets.userdata, prefix)).toEqual([]);
    });
  }
});

describe('cleanup is bounded and reports its residue', () => {
  it('Ctrl-C with cleanups that never finish: they run in parallel, give up after 5 s, the residue names each prefix and the command', async () => {
    const dir = pluginDir();
    const c = start(['preflight', '--plugin', join(dir, 'stuck.mjs'), '--only', 'storage.test.stuck-cleanup-1,storage.test.stuck-cleanup-2', '-o', 'json', '--timeout', '60s'], dir);
    await c.waitFor('CLEANUP-REGISTERED');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    c.kill('SIGINT');
    expect(await c.code, c.err()).toBe(130);
    const took = c.exitedAt() - t0;
    expect(took).toBeGreaterThanOrEqual(4500); // waited for the cleanups...
    expect(took).toBeLessThan(8000); // ...together, not one after the other (2 x 5 s), and no longer
    const doc = JSON.parse(c.out());
    expect(doc.residue).toHaveLength(2);
    for (const i of [1, 2]) {
      expect(doc.residue.find((r: string) => r.includes(`s3://stuck-bucket-${i}/flyte-doctor/${doc.runId}/`))).toMatch(
        new RegExp(`did not finish within 5s; remove with: aws s3 rm --recursive s3://stuck-bucket-${i}/flyte-doctor/${doc.runId}/`));
    }
  });

  it('a second Ctrl-C during cleanup quits at once, after saying what is left and how to remove it', async () => {
    const dir = pluginDir();
    const c = start(['preflight', '--plugin', join(dir, 'stuck.mjs'), '--only', 'storage.test.stuck-cleanup-1', '-o', 'json', '--timeout', '60s'], dir);
    await c.waitFor('CLEANUP-REGISTERED');
    await new Promise((r) => setTimeout(r, 300));
    c.kill('SIGINT');
    await c.waitFor('cleaning up probe objects');
    await new Promise((r) => setTimeout(r, 500)); // the cleanup is now running (and stuck)
    const t0 = Date.now();
    c.kill('SIGINT');
    expect(await c.code).toBe(130);
    expect(c.exitedAt() - t0).toBeLessThan(1500);
    expect(c.err()).toMatch(/flyte-doctor: SIGINT again: quitting now\nflyte-doctor: left behind: delete probe objects s3:\/\/stuck-bucket-1\/flyte-doctor\/[^/]+\/ did not finish; remove with: aws s3 rm --recursive s3:\/\/stuck-bucket-1\/flyte-doctor\/[^/]+\/\n/);
  });

  it('without a signal, a stuck cleanup ends the run after 8 s with exit 3 and the residue', async () => {
    const dir = pluginDir();
    const c = start(['preflight', '--plugin', join(dir, 'stuck.mjs'), '--only', 'storage.test.stuck-cleanup-1', '-o', 'json', '--timeout', '60s'], dir, { NO_WAIT: '1' });
    expect(await c.code, c.err()).toBe(3);
    expect(c.exitedAt() - c.startedAt).toBeLessThan(12_000);
    const doc = JSON.parse(c.out());
    expect(doc.residue).toEqual([expect.stringMatching(/^cleanup "delete probe objects s3:\/\/stuck-bucket-1\/flyte-doctor\/.+\/" \(storage\.test\.stuck-cleanup-1\) failed: did not finish within 8s; remove with: aws s3 rm --recursive s3:\/\/stuck-bucket-1\//)]);
  });
});

describe('a fully stalled environment ends within --timeout + 0.15 s, start-up included', () => {
  for (const command of ['preflight', 'verify']) {
    it(`${command} against the stall port`, async () => {
      const tb = getTestbed();
      const dir = mkdtempSync(join(tmpdir(), 'fd-stall-'));
      const s = `${tb.stall.host}:${tb.stall.port}`;
      writeFileSync(join(dir, 'values.yaml'), [
        'configuration:',
        `  database: {username: flyte, password: stall-pw-1234, host: ${tb.stall.host}, port: ${tb.stall.port}, dbname: flyteadmin, options: sslmode=disable}`,
        '  storage:',
        '    metadataContainer: meta',
        '    userDataContainer: user',
        '    provider: s3',
        `    providerConfig: {s3: {region: us-east-1, disableSSL: true, endpoint: "http://${s}", authType: accesskey, accessKey: stallkey, secretKey: stall-secret-1}}`,
      ].join('\n') + '\n');
      writeFileSync(join(dir, 'flytectl.yaml'), `admin:\n  endpoint: dns:///${s}\n  insecure: false\n`);
      const timeout = 4000;
      const c = start([command, '-f', 'values.yaml', '--flytectl-config', 'flytectl.yaml', '--kubeconfig', join(tb.dir, 'kubeconfig'), '--context', 'stalled',
        '--timeout', `${timeout}ms`, '-o', 'json'], dir);
      const code = await c.code;
      expect(code, c.err()).toBe(1);
      const doc = JSON.parse(c.out()) as { durationMs: number; finishedAt: string; results: { status: string }[] };
      // The whole process, from spawn to exit (start-up counts against the checks' budgets: the stall
      // bound runs from the process start). Measured +0.06 s on a quiet machine; the margin beyond
      // 0.15 s is only for spawning on a loaded CI box.
      expect(c.exitedAt() - c.startedAt, 'spawn to exit').toBeLessThanOrEqual(timeout + 250);
      expect(doc.durationMs, 'run duration').toBeLessThanOrEqual(timeout);
      // After the run: rendering the report and exiting.
      expect(c.exitedAt() - Date.parse(doc.finishedAt), 'time from the end of the run to the exit').toBeLessThan(150);
      expect(doc.results.filter((r) => r.status === 'fail' || r.status === 'error').length).toBeGreaterThan(3);
    });
  }
});
