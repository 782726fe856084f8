// Text encodings of the YAML inputs, read as go-yaml reads them (helm, kubectl and flytectl use it):
// UTF-16 with a byte-order mark is decoded; a UTF-8 BOM and CRLF line ends are fine; bytes that are
// not UTF-8 (a file saved as Latin-1 / Windows-1252) and UTF-16 without a BOM are refused with the
// file and the position, never read with replacement characters into a wrong value.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadTarget, type TargetInput } from '../../src/config/load.js';
import { firstInvalidUtf8 } from '../../src/config/read.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-enc-'));
mkdirSync(join(dir, 'home'));
const VALUES = 'configuration:\n  database:\n    username: flyte_öwner\n    password: pw-ünïcode\n    host: db.example.com\n    dbname: flyteadmin\n';
const file = (name: string, bytes: Buffer) => { writeFileSync(join(dir, name), bytes); return name; };
const load = (o: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...o });
const refusal = (f: () => unknown): string => {
  try { f(); } catch (e) { if (e instanceof UserError) return e.message; throw e; }
  throw new Error('expected a UserError, but it loaded');
};

describe('encodings of values files', () => {
  const utf8 = load({ values: [file('utf8.yaml', Buffer.from(VALUES))] });
  const user = (t: ReturnType<typeof load>) => t.databases[0]!.user;

  it.each([
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VALUES)])],
    ['CRLF line ends', Buffer.from(VALUES.replace(/\n/g, '\r\n'))],
    ['UTF-16LE with a BOM (Windows "Unicode")', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VALUES, 'utf16le')])],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(VALUES, 'utf16le').swap16()])],
  ])('%s: read like the UTF-8 file', (name, bytes) => {
    const t = load({ values: [file(`${name.replace(/\W+/g, '-')}.yaml`, bytes)] });
    expect(user(t)).toBe('flyte_öwner');
    expect(user(t)).toBe(user(utf8));
    expect(t.databases[0]!.password?.reveal()).toBe('pw-ünïcode');
  });

  it('Latin-1 bytes: refused with the byte and its line and column, nothing of the content', () => {
    const m = refusal(() => load({ values: [file('latin1.yaml', Buffer.from(VALUES, 'latin1'))] }));
    expect(m).toBe('--values: cannot read latin1.yaml: is not UTF-8 text: byte 0xF6 at line 3, column 21 (saved as Latin-1 or Windows-1252?); helm and flytectl refuse it too ("invalid leading UTF-8 octet"): save it as UTF-8');
  });

  it('UTF-16 without a BOM: named as such, not "binary"', () => {
    expect(refusal(() => load({ values: [file('nobom.yaml', Buffer.from(VALUES, 'utf16le'))] }))).toMatch(/is UTF-16 text without a byte-order mark/);
  });

  it('the UTF-8 validator: overlong forms, surrogates, truncated sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii é ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });
});
