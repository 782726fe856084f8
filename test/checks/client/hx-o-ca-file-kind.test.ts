// admin.caCertFilePath holding a DER certificate or only a private key: the finding says what the
// file holds and the fix that works (convert with openssl; the CA certificate, not a key).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from './bed.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hx-o-ca-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('client.config.tls-mode: a CA file that is not PEM', () => {
  it('a DER certificate: names DER and the openssl conversion', async () => {
    const der = join(dir, 'ca.der');
    execFileSync('openssl', ['x509', '-in', bed().caCert, '-outform', 'der', '-out', der]);
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: der }));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('caFileMissing');
    expect(result.cause).toBe('config:admin.caCertFilePath');
    expect(result.message).toContain('DER');
    expect(result.hint).toContain('openssl x509 -inform der');
    expect(result.hint).toContain('admin.caCertFilePath');
    expect(result.details?.['caFileContent']).toBe('der');
  });
  it('a file with only a private key: names the key, shows none of it', async () => {
    const key = join(dir, 'key.pem');
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).toString();
    writeFileSync(key, pem);
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: key }));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('caFileMissing');
    expect(result.message).toContain('private key and no certificate');
    const body = pem.split('\n')[1]!;
    expect(JSON.stringify(result)).not.toContain(body.slice(0, 20));
  });
  it('a text file that is neither keeps the plain finding', async () => {
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello\n');
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: txt }));
    expect(result.messageId).toBe('caFileMissing');
    expect(result.message).toContain('no PEM certificate');
    expect(result.details?.['caFileContent']).toBeUndefined();
    expect(readFileSync(txt, 'utf8')).toBe('hello\n');
  });
});
