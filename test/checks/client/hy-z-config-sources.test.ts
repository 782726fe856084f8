// Several client config sources, where flytectl and pyflyte part ways: FLYTECTL_CONFIG naming a
// missing file (flytectl reads only that path; pyflyte ignores it and falls back), and a legacy
// flytekit INI config (~/.flyte/config, ./flytekit.config) that pyflyte reads before
// ~/.flyte/config.yaml. pyflyte's side is the real flytekit (the cached venv), asked which endpoint
// its Config.auto() picks from the same HOME, working directory and environment.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../reports/schema.js';
import { runCli } from '../../cli/helpers.js';
import { cacheDir } from '../../infra/common.js';
import { bed } from './bed.js';

const PY = join(cacheDir(), 'venv-flytekit', 'bin', 'python');

/** The endpoint flytekit's Config.auto() reads (as pyflyte does without --config). */
function pyflyteEndpoint(home: string, cwd: string, env: Record<string, string> = {}): string {
  if (!existsSync(PY)) throw new Error(`the flytekit venv is missing (${PY}): run test/infra/flytekit.sh (test/infra/install-deps.sh does)`);
  return execFileSync(PY, ['-c', 'from flytekit.configuration import Config; print(Config.auto().platform.endpoint)'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: home, ...env }, timeout: 60_000, encoding: 'utf8' }).trim().split('\n').pop()!;
}

const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

function homeWith(files: Record<string, string>): { home: string; cwd: string } {
  const home = mkdtempSync(join(tmpdir(), 'hy-z-home-'));
  const cwd = mkdtempSync(join(tmpdir(), 'hy-z-cwd-'));
  made.push(home, cwd);
  mkdirSync(join(home, '.flyte'));
  for (const [p, text] of Object.entries(files)) writeFileSync(join(p.startsWith('./') ? cwd : home, p.replace(/^\.\//, '')), text);
  return { home, cwd };
}

const values = () => join(process.cwd(), '.testbed', 'values.yaml');
const yamlCfg = (ep: string) => `admin:\n  endpoint: ${ep}\n  insecure: true\n`;

describe('client config sources', () => {
  it('FLYTECTL_CONFIG naming a missing file: exit 2, one line saying what flytectl and what pyflyte read', async () => {
    const ep = `dns:///flyte.test:${bed().nginx.https}`;
    const { home, cwd } = homeWith({ '.flyte/config.yaml': yamlCfg(ep) });
    const missing = join(home, 'nope.yaml');
    // ground truth: pyflyte ignores the missing file and reads ~/.flyte/config.yaml
    expect(pyflyteEndpoint(home, cwd, { FLYTECTL_CONFIG: missing })).toBe(`flyte.test:${bed().nginx.https}`);
    const r = await runCli(['preflight', '-f', values(), '--only', 'client.config.endpoint'], { env: { PATH: process.env.PATH, FLYTECTL_CONFIG: missing }, home, cwd });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`env FLYTECTL_CONFIG: ${missing} does not exist`);
    expect(lines[0]).toContain('flytectl reads only that path');
    expect(lines[0]).toContain(`pyflyte ignores it ("does not exist, ignoring...") and reads ${join(home, '.flyte', 'config.yaml')}`);
    expect(lines[0]).not.toMatch(/\n\s+at /);
  });

  it('a legacy ~/.flyte/config (INI) next to ~/.flyte/config.yaml: pyflyte dials its [platform] url, flytectl the YAML; a warning naming both', async () => {
    const { home, cwd } = homeWith({ '.flyte/config.yaml': yamlCfg(`dns:///flyte.test:${bed().nginx.https}`), '.flyte/config': '[platform]\nurl = old-flyte.example.com:443\ninsecure = False\n' });
    expect(pyflyteEndpoint(home, cwd)).toBe('old-flyte.example.com:443');
    const r = await runCli(['preflight', '-f', values(), '--only', 'client.config.endpoint', '-o', 'json'], { env: { PATH: process.env.PATH }, home, cwd });
    const res = (JSON.parse(r.stdout) as Report).results.find((x) => x.id === 'client.config.endpoint')!;
    expect(res.status, `${res.message} | ${res.hint}`).toBe('warn');
    expect(res.messageId).toBe('pyflyteOtherConfig');
    expect(res.message).toContain(`flytectl reads ${join(home, '.flyte', 'config.yaml')}`);
    expect(res.message).toContain(`pyflyte reads ${join(home, '.flyte', 'config')} first ([platform] url old-flyte.example.com:443)`);
    expect(res.hint).toContain(`remove or rename ${join(home, '.flyte', 'config')}`);
  });

  it('./flytekit.config in the working directory is read by pyflyte first too; the same endpoint is no finding', async () => {
    const ep = `flyte.test:${bed().nginx.https}`;
    const same = homeWith({ '.flyte/config.yaml': yamlCfg(`dns:///${ep}`), './flytekit.config': `[platform]\nurl = ${ep}\n` });
    expect(pyflyteEndpoint(same.home, same.cwd)).toBe(ep);
    const r = await runCli(['preflight', '-f', values(), '--only', 'client.config.endpoint', '-o', 'json'], { env: { PATH: process.env.PATH }, home: same.home, cwd: same.cwd });
    const res = (JSON.parse(r.stdout) as Report).results.find((x) => x.id === 'client.config.endpoint')!;
    expect(res.messageId, res.message).not.toBe('pyflyteOtherConfig');
  });
});

describe('pyflyte\'s config files are read only when they are regular files', () => {
  it('a FIFO at ./flytekit.config and ~/.flyte/config: the run does not block on them (the built CLI, killed if it hangs)', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { mkdtempSync: mk, mkdirSync } = await import('node:fs');
    const { tmpdir: tmp } = await import('node:os');
    const { join: j, resolve: r } = await import('node:path');
    const cwd = mk(j(tmp(), 'fd-fifo-cfg-'));
    const home = j(cwd, 'home');
    mkdirSync(j(home, '.flyte'), { recursive: true });
    execFileSync('mkfifo', [j(cwd, 'flytekit.config'), j(home, '.flyte', 'config')]);
    const t0 = Date.now();
    const out = spawnSync(process.execPath, [r(import.meta.dirname, '..', '..', '..', 'dist', 'flyte-doctor.mjs'), 'preflight', '--dry-run', '-o', 'json'], { cwd, env: { PATH: process.env.PATH, HOME: home }, timeout: 15_000, killSignal: 'SIGKILL', encoding: 'utf8' });
    expect(out.signal, `the CLI hung on a FIFO (killed after ${Date.now() - t0} ms)`).toBeNull();
    expect(out.status, out.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);
});
