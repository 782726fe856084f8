// A private Azurite (the Azure Storage emulator, npm `azurite`, a devDependency) per test file:
// the blob service on 127.0.0.1 on a free port, in memory, telemetry off, with the well-known dev
// account devstoreaccount1 and a second account of its own (AZURITE_ACCOUNTS). Containers are
// created through the real SDK. Without Azurite installed this throws (tests fail, never skip).
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { freePort } from '../harness/private-servers.js';

/** Azurite's published development account (https://learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** A second account of this test bed (its key is a canary: it must never appear in output). */
export const SECOND_ACCOUNT = 'fdazuresecond';
export const SECOND_KEY = Buffer.from('flyte-doctor-azure-second-account-key-canary-0123456789abcdef').toString('base64');

export interface Azurite {
  port: number;
  /** http://127.0.0.1:<port> (accounts are addressed in the path). */
  endpoint: string;
  accountUrl(account?: string): string;
  createContainer(name: string, account?: string, key?: string): Promise<void>;
  /** A container SAS signed with the account key. */
  containerSas(container: string, permissions: string, o?: { startsOn?: Date; expiresOn?: Date; account?: string; key?: string }): Promise<string>;
  stop(): Promise<void>;
}

function azuriteMain(): string {
  const req = createRequire(import.meta.url);
  let pkg: string;
  try { pkg = req.resolve('azurite/package.json'); } catch {
    throw new Error('Azurite is not installed: run `npm ci` (azurite is a devDependency); the Azure storage tests need the real emulator');
  }
  const bin = (req('azurite/package.json') as { bin: Record<string, string> }).bin['azurite-blob'];
  const main = join(dirname(pkg), bin ?? 'dist/src/blob/main.js');
  if (!existsSync(main)) throw new Error(`Azurite is installed but ${main} is missing: reinstall it (npm ci)`);
  return main;
}

/** `apiVersionCheck`: Azurite refuses SDK API versions newer than it knows (as an old Azurite or Azure Stack does). */
export async function startAzurite(o: { apiVersionCheck?: boolean } = {}): Promise<Azurite> {
  const main = azuriteMain();
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--disableTelemetry', ...(o.apiVersionCheck ? [] : ['--skipApiVersionCheck']), '--silent'], {
    env: { ...process.env, AZURITE_ACCOUNTS: `${DEV_ACCOUNT}:${DEV_KEY};${SECOND_ACCOUNT}:${SECOND_KEY}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`azurite-blob exited (${child.exitCode}): ${out.slice(-500)}`);
    try { const r = await fetch(`${endpoint}/${DEV_ACCOUNT}?comp=list`, { signal: AbortSignal.timeout(1000) }); if (r.status > 0) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`azurite-blob did not listen on ${endpoint} within 20s: ${out.slice(-500)}`); }
    await new Promise((r) => setTimeout(r, 150));
  }
  const sdk = await import('@azure/storage-blob');
  const accountUrl = (account = DEV_ACCOUNT) => `${endpoint}/${account}`;
  const service = (account = DEV_ACCOUNT, key = DEV_KEY) => new sdk.BlobServiceClient(accountUrl(account), new sdk.StorageSharedKeyCredential(account, key), { retryOptions: { maxTries: 1 } });
  return {
    port, endpoint, accountUrl,
    async createContainer(name, account = DEV_ACCOUNT, key = DEV_KEY) { await service(account, key).getContainerClient(name).createIfNotExists(); },
    async containerSas(container, permissions, o = {}) {
      const account = o.account ?? DEV_ACCOUNT, key = o.key ?? DEV_KEY;
      return sdk.generateBlobSASQueryParameters({
        containerName: container, permissions: sdk.ContainerSASPermissions.parse(permissions),
        startsOn: o.startsOn ?? new Date(Date.now() - 5 * 60_000), expiresOn: o.expiresOn ?? new Date(Date.now() + 60 * 60_000),
      }, new sdk.StorageSharedKeyCredential(account, key)).toString();
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const t = setTimeout(() => { child.kill('SIGKILL'); }, 3000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
