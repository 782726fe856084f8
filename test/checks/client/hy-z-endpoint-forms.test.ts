// Endpoint forms flytectl and pyflyte read differently, checked against what each client really does:
// pyflyte's side is the real flytekit (FlyteRemote from the cached venv, as test/flytekit/differential
// does) dialling the test bed's flyteadmin; flytectl's side is Go's url.Parse, which flytectl's config
// (flytestdlib config.URL) runs admin.endpoint through before grpc-go sees it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../../src/config/endpoints.js';
import { cacheDir } from '../../infra/common.js';
import { makeTarget } from '../../harness/target.js';
import { bed, brief, run } from './bed.js';

const PY = join(cacheDir(), 'venv-flytekit', 'bin', 'python');
const PROBE = join(import.meta.dirname, '..', '..', 'flytekit', 'probe.py');
const t = (endpoint: string) => makeTarget({ client: { endpoint, insecure: true, insecureSkipVerify: false, configPath: '/home/u/.flyte/config.yaml' } });
const grpc = () => bed().admin.grpcPort;

/** pyflyte's verdict per endpoint: FlyteRemote.get_control_plane_version against the bed's plaintext gRPC port. */
async function pyflyte(endpoints: string[]): Promise<Map<string, { ok: boolean; cause?: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'hy-z-fk-'));
  const cases = endpoints.map((e, i) => {
    const config = join(dir, `c${i}.yaml`);
    writeFileSync(config, `admin:\n  endpoint: ${JSON.stringify(e)}\n  insecure: true\n`);
    return { name: e, config, env: {} };
  });
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
  const out = await new Promise<string>((resolve) => execFile(PY, [PROBE, join(dir, 'cases.json')], { env: { PATH: process.env.PATH ?? '', HOME: dir, GRPC_VERBOSITY: 'NONE' }, timeout: 90_000 }, (_e, stdout) => resolve(stdout)));
  const m = new Map<string, { ok: boolean; cause?: string }>();
  rmSync(dir, { recursive: true, force: true });
  for (const line of out.split('\n')) { try { const g = JSON.parse(line) as { name: string; ok: boolean; cause?: string }; m.set(g.name, g); } catch { /* not a result */ } }
  return m;
}

describe('admin.endpoint forms the two clients read differently', () => {
  let truth: Map<string, { ok: boolean; cause?: string }>;
  beforeAll(async () => {
    if (!existsSync(PY)) throw new Error(`the flytekit venv is missing (${PY}): run test/infra/flytekit.sh (test/infra/install-deps.sh does)`);
    truth = await pyflyte([`127.0.0.1:${grpc()}`, `passthrough:///127.0.0.1:${grpc()}`, `DNS:///127.0.0.1:${grpc()}`]);
  }, 120_000);

  it('an IP address with a port and no dns:///: flytectl cannot read it (Go url.Parse), pyflyte dials it; fail naming flytectl, fix dns:///', async () => {
    expect(truth.get(`127.0.0.1:${grpc()}`)?.ok, JSON.stringify(truth.get(`127.0.0.1:${grpc()}`))).toBe(true); // pyflyte reaches flyteadmin
    for (const [e, fix] of [[`127.0.0.1:${grpc()}`, `dns:///127.0.0.1:${grpc()}`], [`[::1]:${grpc()}`, `dns:///[::1]:${grpc()}`], ['::1', 'dns:///[::1]:443'], ['10flyte.example.com:443', 'dns:///10flyte.example.com:443']] as const) {
      const { result } = await run('client.config.endpoint', t(e), { phase: 'preflight' });
      expect(result.status, brief(result)).toBe('fail');
      expect(result.messageId).toBe('malformed');
      expect(result.message).toContain('flytectl cannot read it');
      expect(result.message).toMatch(/first path segment in URL cannot contain colon|missing protocol scheme/);
      expect(result.message).toContain('pyflyte dials it as written');
      expect(result.hint).toContain(`admin.endpoint: "${fix}" in /home/u/.flyte/config.yaml`);
    }
    // a host name with a port (Go reads it as scheme:opaque, grpc-go falls back to dns) stays well-formed
    expect((await run('client.config.endpoint', t(`localhost:${grpc()}`), { phase: 'preflight' })).result.messageId).toBe('wellFormed');
  });

  it('passthrough:///: flytectl dials it, pyflyte cannot; the fix is dns:/// (not "dns:////host")', async () => {
    const p = truth.get(`passthrough:///127.0.0.1:${grpc()}`);
    expect(p?.ok, JSON.stringify(p)).toBe(false);
    expect(p?.cause).toContain('passthrough:///127.0.0.1');
    const { result } = await run('client.config.endpoint', t(`passthrough:///127.0.0.1:${grpc()}`), { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'malformed' });
    expect(result.message).toContain('flytectl (grpc-go) dials passthrough:/// as written, but pyflyte does not');
    expect(result.hint).toContain(`admin.endpoint: "dns:///127.0.0.1:${grpc()}"`);
    expect(result.hint).not.toContain('dns:////');
  });

  it('DNS:/// in upper case: both clients dial it (Go lower-cases the scheme; gRPC Python takes it), so no "two slashes" finding', async () => {
    expect(truth.get(`DNS:///127.0.0.1:${grpc()}`)?.ok).toBe(true);
    const { result } = await run('client.config.endpoint', t(`DNS:///127.0.0.1:${grpc()}`), { phase: 'preflight' });
    expect(result.status, brief(result)).toBe('pass');
    expect(result.message).not.toContain('three slashes');
  });

  it('unix:///path: a local socket, skipped with the reason; never read as a host named "var"', async () => {
    expect(parseEndpoint('unix:///var/run/flyteadmin.sock')).toBeUndefined();
    const { result } = await run('client.config.endpoint', t('unix:///var/run/flyteadmin.sock'), { phase: 'preflight' });
    expect(result.status, brief(result)).toBe('skip');
    expect(result.message).toContain('Unix-domain socket');
  });
});
