// The redactor against the spellings servers and libraries really use for a secret with special
// characters, and against texts cut inside a secret with something after the cut. Each spelling
// here was printed whole before (encodedForms lists one spelling per escaping, and a cut was seen
// only at the very end of a text or before a final ellipsis).
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/engine/redact.js';
import { findLeak } from '../cli/leaks.js';

const S = 'Pw&<q>"x\' 9+%/@:|*_`\\z';

const spellings: Record<string, (s: string) => string> = {
  // Go encoding/json (HTML-safe): & < > as \u0026 \u003c \u003e
  goJson: (s) => JSON.stringify(s).slice(1, -1).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'),
  // Python json.dumps / a JSON writer escaping every non-alphanumeric character
  uEscapes: (s) => [...s].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join(''),
  // Go encoding/xml: " as &#34;, ' as &#39;
  goXml: (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  xmlHex: (s) => s.replace(/[&<>"']/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`),
  // Node's WHATWG URL userinfo (keeps & ' + * % ...)
  urlUserinfo: (s) => { const u = new URL('http://x@h/'); u.password = s; return u.password; },
  // Python urllib.parse.quote (keeps /), lower-case hex as some servers write it
  pyQuote: (s) => encodeURIComponent(s).replace(/%2F/g, '/'),
  lowerHex: (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  // Markdown escaping, a shell's single and double quoting
  markdown: (s) => s.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1'),
  shellSingle: (s) => `'${s.replace(/'/g, `'\\''`)}'`,
  shellDouble: (s) => `"${s.replace(/(["\\$`])/g, '\\$1')}"`,
  // the Go spelling, quoted again by JSON.stringify (a body quoted in a message)
  goJsonInJson: (s) => JSON.stringify(spellings.goJson!(s)).slice(1, -1),
};

describe('a secret with special characters, in the spelling a server or a library writes', () => {
  const r = makeRedactor({ secrets: [S, 'Pässwort-2024!'] });
  for (const [name, f] of Object.entries(spellings)) {
    it(name, () => {
      const text = `the server said: ${f(S)} (end)`;
      expect(findLeak(text, S, 8) ?? findLeak(text.replace(/\\(.)/g, '$1'), S, 8), 'the finder sees it unredacted').toBeTruthy();
      const out = r(text);
      // (and with every backslash escape undone: Markdown's and a shell's spellings)
      for (const o of [out, out.replace(/\\(.)/g, '$1')]) expect(findLeak(o, S, 8), out).toBeUndefined();
      expect(out).toMatch(/^the server said: .*\*\*\*.* \(end\)$/);
      expect(r.structured(text)).toContain('***'); // the structured pass too (the rendered report)
    });
  }
  it('a non-ASCII password as Python\'s json.dumps (\\u00e4) and as XML character references', () => {
    for (const t of ['{"detail": "P\\u00e4sswort-2024!"}', 'P&#228;sswort-2024&#x21;', 'P%C3%A4sswort-2024%21', 'P%c3%a4sswort-2024!']) expect(r(t)).not.toMatch(/sswort/);
  });
});

describe('never corrupts what is not the secret', () => {
  it('text holding the letters of a secret but not the secret stays as it is', () => {
    const r = makeRedactor({ secrets: [S] });
    for (const t of ['Pw and q and x 9 z', 'Pw&<q>', 'x\' 9+%/@:|*_`\\y', 'Pw&amp;&lt;q&gt;&#34;y']) expect(r(t)).toBe(t);
  });
  it('a secret equal to a non-secret value (a user name) is left where it stands raw, as before', () => {
    const r = makeRedactor({ secrets: ['flyte-owner.1'] }, { plain: () => ['flyte-owner.1'] });
    expect(r('user flyte-owner.1 connected')).toBe('user flyte-owner.1 connected');
  });
  it('weak and short secrets are still judged as words: "flyte", "admin", "1" corrupt nothing', () => {
    const r = makeRedactor({ secrets: ['flyte', 'admin', '1'] }, { plain: () => ['flyte.example.com'] });
    const t = 'flyte.admin.rbac on flyte.example.com:15432, user admin (flyte-binary 1.13.1)';
    expect(r(t)).toBe(t);
    expect(r('password=flyte&user=admin')).toBe('password=***&user=admin');
  });
});

describe('a text cut inside a secret, with something after the cut', () => {
  const T = 'hyQ-Cut-Secret-0123456789-abcdef';
  const r = makeRedactor({ secrets: [T] });
  it('the cut before the quote that closes an excerpt (JSON.stringify(x.slice(0, N)))', () => {
    expect(r(`body "${T.slice(0, 20)}", HTTP 403`)).toBe('body "***", HTTP 403');
    expect(r(`body ${JSON.stringify(JSON.stringify({ t: T }).slice(0, 24))})`)).toBe('body "{\\"t\\":\\"***")');
    expect(r(`(${T.slice(0, 20)}) and more`)).toBe('(***) and more');
  });
  it('the cut before an ellipsis anywhere, and the end of a secret after one', () => {
    expect(r(`it begins "${T.slice(0, 10)}..." and goes on`)).toBe('it begins "***..." and goes on');
    expect(r(`it begins ${T.slice(0, 10)}… (truncated)`)).toBe('it begins ***… (truncated)');
    expect(r(`"…${T.slice(-12)}" was its end`)).toBe('"…***" was its end');
  });
  it('but not a short piece before a quote, nor a piece that is a non-secret value', () => {
    // (a quote closes many a whole value: a piece shorter than 12 characters there is no cut)
    expect(r(`name "${T.slice(0, 10)}" here`)).toBe(`name "${T.slice(0, 10)}" here`);
    const p = makeRedactor({ secrets: [T] }, { plain: () => ['hyQ-Cut-Secret-host.example.com'] });
    expect(p('host "hyQ-Cut-Secret-host.example.com" and "hyQ-Cut-Secret-"')).toBe('host "hyQ-Cut-Secret-host.example.com" and "hyQ-Cut-Secret-"');
  });
});

describe('user:password@host without a scheme (a proxy variable as curl, Go and requests accept it)', () => {
  const r = makeRedactor([]);
  it('the password is hidden, in free text and in structured values', () => {
    expect(r.structured('alice:Pr0xyPassw0rd@127.0.0.1:3128')).toBe('alice:***@127.0.0.1:3128');
    expect(r('HTTPS_PROXY=bob:p%40ss@proxy.corp:3128/ is set')).toBe('HTTPS_PROXY=bob:***@proxy.corp:3128/ is set');
    expect(r('via "carol:pw@[::1]:8080"')).toBe('via "carol:***@[::1]:8080"');
  });
  it('what only looks alike stays: image digests, git remotes, service accounts, times, e-mail, placeholders', () => {
    for (const t of ['image nginx:1.25@sha256:0123abcd', 'flyte-doctor:0.1.0-dev@sha256:abc', 'git@github.com:org/repo.git', 'user system:serviceaccount:flyte:default@x',
      'at 12:30@home', 'mail: ops@example.com', 'u:<password>@db.example.com', 'admin:***@h']) {
      expect(r(t)).toBe(t);
      expect(r.structured(t)).toBe(t);
    }
  });
});

describe('a scheme-less proxy variable registers its password', () => {
  it('HTTPS_PROXY=alice:pw@host: the password is a secret of the run (so a proxy echoing it in another encoding is caught too)', async () => {
    const { Credentials, collectEnv } = await import('../../src/config/credentials.js');
    const c = new Credentials();
    collectEnv({ HTTPS_PROXY: 'alice:Pr0xyPassw0rd-hyQ@127.0.0.1:3128', grpc_proxy: 'bob:Another-Pw-0042@proxy.example.com:3128', HOME: '/root' }, c);
    const r = makeRedactor([...c.secrets]);
    const b64 = Buffer.from('Pr0xyPassw0rd-hyQ').toString('base64');
    expect(r(`407 from the proxy, it echoed ${b64} and Another-Pw-0042`)).not.toMatch(new RegExp(`${b64}|Another-Pw-0042`));
  });
});

describe('an access key id that is a secret access key (the two swapped)', () => {
  it('is masked whole, not as first4…last4; a real key id keeps its first4…last4', async () => {
    const { maskIdentifier } = await import('../../src/config/secret.js');
    expect(maskIdentifier('hyVswap/Secret+0123456789abcdefghijklmno')).toBe('***');
    expect(maskIdentifier(['AKIA', 'IOSFODNN7EXAMPLE'].join(''))).toBe('AKIA…MPLE'); // (AWS's documented example id, built here so no line looks like a key)
    const r = makeRedactor({ secrets: [], identifiers: ['hyVswap/Secret+0123456789abcdefghijklmno'] });
    expect(r('storage.accessKey = hyVswap/Secret+0123456789abcdefghijklmno')).not.toMatch(/hyVs|lmno/);
  });
});
