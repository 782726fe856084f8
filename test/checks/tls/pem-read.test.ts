// Reading CA bundles and sslrootcert files (src/clients/tls.ts readSmallFileSync): at once, and only
// regular files under the cap, so a FIFO or a device in a path can neither hang a run nor fill its
// memory; clientTrust reports such a bundle with what the path is.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientTrust } from '../../../src/clients/trust.js';
import { readSmallFileSync } from '../../../src/clients/tls.js';
import { sslPlanOf } from '../../../src/clients/postgres.js';
import { makeTarget } from '../../harness/target.js';
import { testCert } from '../../harness/private-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-pem-'));
const fifo = join(dir, 'bundle.pem');
execFileSync('mkfifo', [fifo]);
const sub = join(dir, 'a-directory');
mkdirSync(sub);
const cert = readFileSync(testCert('pem-read').cert, 'utf8').trim(); // (testCert gives the file's path)
const good = join(dir, 'ca.pem');
writeFileSync(good, `${cert}\n${cert}\n`);

describe('readSmallFileSync', () => {
  it('reads a regular file whole', () => {
    expect(readSmallFileSync(good).toString('utf8')).toBe(readFileSync(good, 'utf8'));
  });

  const failure = (f: () => unknown) => { try { f(); } catch (e) { return { code: (e as NodeJS.ErrnoException).code, message: (e as Error).message }; } return 'no error'; };

  it('refuses a FIFO without opening it (no writer ever comes: a read would block forever), a directory, and a file over the cap', () => {
    expect(failure(() => readSmallFileSync(fifo))).toEqual({ code: 'EINVAL', message: 'is a FIFO (named pipe), not a regular file' });
    expect(failure(() => readSmallFileSync(sub))).toEqual({ code: 'EISDIR', message: 'is a directory, not a file' });
    expect(failure(() => readSmallFileSync(good, 100))).toMatchObject({ code: 'EFBIG' });
    expect(failure(() => readSmallFileSync(join(dir, 'missing.pem')))).toMatchObject({ code: 'ENOENT' });
  });

  it('clientTrust: an env bundle that is a FIFO is reported as such, a real one is split into its certificates', async () => {
    const t = makeTarget();
    const fromFifo = await clientTrust(t, { SSL_CERT_FILE: fifo });
    expect(fromFifo.envStores).toEqual([expect.objectContaining({ variable: 'SSL_CERT_FILE', certs: [], error: 'is a FIFO (named pipe), not a regular file' })]);
    const real = await clientTrust(t, { SSL_CERT_FILE: good });
    expect(real.envStores[0]!.certs).toHaveLength(2);
    expect(real.envStores[0]!.error).toBeUndefined();
  });

  it('sslPlanOf: an sslrootcert that is a FIFO is a missing CA file, not a hang', async () => {
    expect(await sslPlanOf({ sslmode: 'verify-full', sslrootcert: fifo })).toEqual({ mode: 'verify-full', verify: 'full', caFile: fifo, caFileMissing: true });
    const ok = await sslPlanOf({ sslmode: 'verify-ca', sslrootcert: good });
    expect(ok.ca?.toString('utf8')).toBe(readFileSync(good, 'utf8'));
  });
});
