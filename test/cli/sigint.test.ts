// Ctrl-C in the middle of a storage probe: the CLI aborts the running checks, runs the cleanups
// (the probe object is deleted), writes the report with what finished, and exits 130. A plugin
// check that depends on storage.s3.put and then waits makes "mid-probe" deterministic: when the
// signal arrives the probe object exists.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { s3Keys } from '../checks/storage/store-target.js';
import { PREEXISTING_KEYS } from '../infra/minio.js';

const root = resolve(import.meta.dirname, '..', '..');

describe('SIGINT mid-probe', () => {
  it('deletes the probe object, writes the report with what finished, exits 130', async () => {
    const tb = getTestbed();
    const dir = mkdtempSync(join(tmpdir(), 'fd-sigint-'));
    writeFileSync(join(dir, 'wait.mjs'), `export default {
      id: 'storage.test.wait-after-put', title: 'Waits after the probe was written', phases: ['preflight'], dependsOn: ['storage.s3.put'],
      explain: { what: 'test only', why: 'test only', fix: 'test only' },
      async run(ctx) { process.stderr.write('PROBE-WRITTEN\\n'); await new Promise((r) => { const t = setTimeout(r, 30000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); r(); }); }); return { status: 'pass', message: 'waited' }; },
    };\n`);
    const userKeys = async () => [...await s3Keys(tb.minio.buckets.metadata), ...await s3Keys(tb.minio.buckets.userdata)].filter((k) => !k.startsWith('flyte-doctor/')); // other tests' probes may come and go
    const before = await userKeys();
    const child = spawn(process.execPath, [join(root, 'dist', 'flyte-doctor.mjs'), 'preflight', '-f', join(tb.dir, 'values.yaml'),
      '--plugin', join(dir, 'wait.mjs'), '--only', 'storage.s3.put,storage.test.wait-after-put', '--timeout', '60s', '-o', 'json', '--report', `junit=${join(dir, 'out.xml')}`],
      { cwd: root, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    await new Promise<void>((r) => child.stderr.on('data', (d) => { err += d; if (err.includes('PROBE-WRITTEN')) r(); }));
    const during = (await s3Keys(tb.minio.buckets.metadata, 'flyte-doctor/')).length; // this run's probe (its run id is only known from the report)
    child.kill('SIGINT');
    const code = await exited;
    expect(during).toBeGreaterThan(0); // the probe object really existed when the signal came
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted; cleaning up/);
    const doc = JSON.parse(out);
    expect(doc.interrupted).toBe('interrupted');
    expect(doc.results.filter((r: { id: string; status: string }) => r.id === 'storage.s3.put').map((r: { status: string }) => r.status)).toEqual(['pass', 'pass']);
    expect(doc.results.find((r: { id: string }) => r.id === 'storage.test.wait-after-put').status).toBe('error');
    expect(doc.residue).toEqual([]);
    expect(readFileSync(join(dir, 'out.xml'), 'utf8')).toContain('<testsuites');
    const runPrefix = `flyte-doctor/${doc.runId}/`;
    expect(await s3Keys(tb.minio.buckets.metadata, runPrefix)).toEqual([]);
    expect(await s3Keys(tb.minio.buckets.userdata, runPrefix)).toEqual([]);
    // the bed's own objects untouched (other tests running meanwhile may add and remove objects of their own:
    // what this run left over is the run prefix, asserted empty above)
    const after = await userKeys();
    expect(after).toEqual(expect.arrayContaining(before.filter((k) => PREEXISTING_KEYS.includes(k))));
    expect(before).toEqual(expect.arrayContaining(PREEXISTING_KEYS));
  });
});
