// Each class of helper A's sweep on its own (the CLI test test/cli/hz-a-catalogue.test.ts drives
// them all through a real server): which input values are registered as secrets, the encodings a
// registered secret is hidden in, and what must stay untouched.
import { describe, expect, it } from 'vitest';
import { Credentials } from '../../src/config/credentials.js';
import { isSecretKeyName } from '../../src/config/secret.js';
import { makeRedactor } from '../../src/engine/redact.js';
import { findLeak } from '../cli/leaks.js';

const scan = (tree: unknown): string[] => { const c = new Credentials(); c.scanTree(tree); return [...c.secrets]; };

describe('registered: credentials no key name points at', () => {
  it('an env list entry {name, value} whose name says secret; not one whose name does not', () => {
    const s = scan({ deployment: { extraEnvVars: [
      { name: 'AWS_SECRET_ACCESS_KEY', value: 'hzA-aws-secret-0001' }, { name: 'MY_SERVICE_TOKEN', value: 'hzA-token-0002' },
      { name: 'FLYTE_SECRETS_DEFAULT_DIR', value: '/etc/secrets' }, { name: 'LOG_LEVEL', value: 'debug' }, { name: 'DB_PASSWORD', value: 'true' },
    ] } });
    expect(s).toEqual(expect.arrayContaining(['hzA-aws-secret-0001', 'hzA-token-0002']));
    expect(s).not.toEqual(expect.arrayContaining(['/etc/secrets']));
    expect(s).not.toContain('debug');
    expect(s).not.toContain('true');
    const c = new Credentials();
    // built at run time: no tracked line looks like a committed key
    const akid = ['AKIA', 'HZA0000000000001'].join('');
    c.scanTree({ env: [{ name: 'AWS_ACCESS_KEY_ID', value: akid }] });
    expect([...c.identifiers]).toContain(akid);
  });
  it('a Bearer token or a Basic credential in any value; not prose about them', () => {
    expect(scan({ headers: { AUTH_HEADER: 'Bearer hzA-bearer-0003.x' } })).toContain('hzA-bearer-0003.x');
    const basic = Buffer.from('alice:hzA-basic-pw-0004').toString('base64');
    expect(scan({ x: `Authorization: Basic ${basic}` })).toEqual(expect.arrayContaining([basic, 'hzA-basic-pw-0004']));
    expect(scan({ doc: 'Use a Bearer token or Basic authentication (see the docs)' })).toEqual([]);
  });
  it('a YAML document in a string: by key name, a Secret manifest whole, multi-document templates too', () => {
    const s = scan({ data: {
      kubeconfig: 'apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: hzA-kube-token-0005\n    username: admin\n',
      templates: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  anything: hzA-template-0006\n',
    } });
    expect(s).toEqual(expect.arrayContaining(['hzA-kube-token-0005', 'hzA-template-0006']));
    expect(s).not.toContain('admin');
    expect(s).not.toContain('v1');
  });
  it('hmacKey and *-key-data (the decoded PEM too)', () => {
    for (const k of ['hmacKey', 'client-key-data', 'clientKeyData']) expect(isSecretKeyName(k), k).toBe(true);
    for (const k of ['client-certificate-data', 'certificate-authority-data', 'hmacKeyFile']) expect(isSecretKeyName(k), k).toBe(false);
    const pem = '-----BEGIN EC PRIVATE KEY-----\nhzAPemLine0007abcdefABCDEF0123\n-----END EC PRIVATE KEY-----\n';
    expect(scan({ user: { 'client-key-data': Buffer.from(pem).toString('base64') } })).toContain('hzAPemLine0007abcdefABCDEF0123');
  });
});

describe('hidden: a registered secret in the encodings servers and libraries print', () => {
  const S = 'hzA"Pw\\7-Ab+/=é&<x>';
  const r = makeRedactor({ secrets: [S, 'hzA-plain-0008-Zz'] });
  const hex = (s: string) => Buffer.from(s).toString('hex').match(/../g)!;
  const spellings: Record<string, (s: string) => string> = {
    jwtPayload: (s) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ sub: 'x', pw: s })).toString('base64url')}.sig`,
    base64JsonAsciiOnly: (s) => Buffer.from(`{"secret":"${JSON.stringify(s).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"}`).toString('base64'),
    base64GoJson: (s) => Buffer.from(JSON.stringify({ s }).replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e')).toString('base64'),
    pythonBytesRepr: (s) => `b'${[...Buffer.from(s)].map((b) => (b > 126 ? `\\x${b.toString(16)}` : b === 92 ? '\\\\' : String.fromCharCode(b))).join('')}'`,
    hexSpaced: (s) => hex(s).join(' '),
    hexColons: (s) => hex(s).join(':').toUpperCase(),
    urlTwice: (s) => encodeURIComponent(encodeURIComponent(s)),
  };
  for (const [name, f] of Object.entries(spellings)) {
    for (const s of [S, 'hzA-plain-0008-Zz']) {
      it(`${name} of ${JSON.stringify(s)}`, () => {
        const text = `the server said: ${f(s)} (end)`;
        const out = r(text);
        expect(out).not.toBe(text);
        expect(findLeak(out, s, 8), out).toBeUndefined();
        expect(out).toMatch(/^the server said: .*\*\*\*.* \(end\)$/);
      });
    }
  }
});

describe('untouched: text that is not the secret', () => {
  it('hex and base64 of other bytes, and a weak password in ids, hosts and links', () => {
    const r = makeRedactor({ secrets: ['flyte', 'hzA-plain-0008-Zz'] }, { plain: () => ['flyte.example.com'] });
    for (const t of ['66 6c 79 74 65', 'fingerprint 66:6c:79:74:65:2d:41', 'database.postgres.auth on flyte.example.com', 'https://docs.flyte.org/en/latest/deployment/', 'Bearer token required']) expect(r(t)).toBe(t);
  });
});
