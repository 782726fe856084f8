// The test bed's `mc` with its root credentials, for users and policies of this area's own
// (names prefixed fd-st-, removed by the tests that create them). Never touches the bed's buckets.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTestbed } from '../../harness/testbed.js';

function mcBin(): string {
  const dir = join(homedir(), '.cache', 'flyte-doctor', 'bin');
  const plain = join(dir, 'mc');
  if (existsSync(plain)) return plain;
  const v = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('mc-')).sort().pop() : undefined;
  if (!v) throw new Error(`mc not found in ${dir}: run test/infra/install-deps.sh`);
  return join(dir, v);
}

let configDir: string | undefined;

export function mc(args: string[]): string {
  const m = getTestbed().minio;
  configDir ??= mkdtempSync(join(tmpdir(), 'fd-st-mc-'));
  const u = new URL(m.endpoint);
  try {
    return execFileSync(mcBin(), ['--quiet', '--no-color', ...args], {
      env: { ...process.env, MC_CONFIG_DIR: configDir, MC_HOST_t: `${u.protocol}//${m.root.accessKey}:${m.root.secretKey}@${u.host}`, MC_DISABLE_PAGER: '1', MC_NO_COLOR: '1' },
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`mc ${args.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

/** A MinIO user of this area (fd-st-<name>) with the built-in readwrite policy; returns its credentials and the undo. */
export function minioUser(name: string, o: { disabled?: boolean } = {}): { accessKey: string; secretKey: string; remove(): void } {
  const accessKey = `fd-st-${name}`;
  const secretKey = `fd-st-${name}-secret-0`;
  mc(['admin', 'user', 'add', 't', accessKey, secretKey]);
  try { mc(['admin', 'policy', 'attach', 't', 'readwrite', '--user', accessKey]); } catch (e) { if (!/already/i.test(String(e))) throw e; }
  if (o.disabled) mc(['admin', 'user', 'disable', 't', accessKey]);
  return { accessKey, secretKey, remove: () => { try { mc(['admin', 'user', 'remove', 't', accessKey]); } catch { /* already gone */ } } };
}

/** A bucket of this area (fd-st-<name>-<random>) on the bed's MinIO; remove() deletes it with everything in it (all versions). */
export function minioBucket(name: string, o: { withLock?: boolean } = {}): { bucket: string; remove(): void } {
  const bucket = `fd-st-${name}-${Math.random().toString(36).slice(2, 8)}`;
  mc(['mb', ...(o.withLock ? ['--with-lock'] : []), `t/${bucket}`]);
  return { bucket, remove: () => { try { mc(['rb', '--force', '--dangerous', `t/${bucket}`]); } catch { /* already gone */ } } };
}
