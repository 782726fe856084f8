// A kubeconfig is read as client-go reads it (go-yaml): UTF-16 with a byte-order mark is decoded, a
// UTF-8 BOM and CRLF are fine, bytes that are not UTF-8 are refused naming kubectl (not helm). The
// loader and the checks that read the file again (kubernetes.config.load, every API call) read it
// the same way: a file the loader took is never "a binary file" to the checks.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { KubeconfigError, loadKubeconfig, readMergedKubeconfig } from '../../src/config/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hz-e-kc-'));
mkdirSync(join(dir, 'home'));
const KC = [
  'apiVersion: v1', 'kind: Config',
  'clusters:', '  - name: c', '    cluster:', '      server: https://127.0.0.1:30599',
  'users:', '  - name: ü', '    user:', '      token: hz-e-token-0123456789',
  'contexts:', '  - name: ctx', '    context: {cluster: c, user: ü, namespace: flyte}',
  'current-context: ctx', '',
].join('\n');
const file = (name: string, bytes: Buffer) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };
const load = (p: string) => loadKubeconfig({ kubeconfig: p, env: {}, cwd: dir, home: join(dir, 'home') });

describe('kubeconfig encodings: the loader and the checks read them alike', () => {
  it.each([
    ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(KC, 'utf16le')])],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(KC, 'utf16le').swap16()])],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(KC)])],
    ['CRLF line ends', Buffer.from(KC.replace(/\n/g, '\r\n'))],
  ])('%s: loaded, and read again by the checks, as the UTF-8 file', (name, bytes) => {
    const p = file(`${name.replace(/\W+/g, '-')}.yaml`, bytes);
    expect(load(p)).toMatchObject({ context: 'ctx', contextNamespace: 'flyte' });
    const merged = readMergedKubeconfig([p]);
    expect(merged.currentContext).toBe('ctx');
    expect(merged.users.get('ü')?.token).toBe('hz-e-token-0123456789');
  });

  it('Latin-1 bytes: refused by both, naming kubectl, the byte and its position', () => {
    const p = file('latin1.yaml', Buffer.from(KC, 'latin1'));
    let m = '';
    try { load(p); } catch (e) { if (!(e instanceof UserError)) throw e; m = e.message; }
    expect(m).toBe(`--kubeconfig: cannot read ${p}: is not UTF-8 text: byte 0xFC at line 8, column 11 (saved as Latin-1 or Windows-1252?); kubectl refuses it too ("invalid leading UTF-8 octet"): save it as UTF-8`);
    let k: unknown;
    try { readMergedKubeconfig([p]); } catch (e) { k = e; }
    expect(k).toBeInstanceOf(KubeconfigError);
    expect((k as Error).message).toMatch(/is not UTF-8 text: byte 0xFC at line 8, column 11 .*kubectl refuses it too/);
  });
});
