// The redactor, both directions: every form of a known secret is hidden (raw, base64 at every
// alignment and URL-safe, URL-encoded, hex, JSON/XML-escaped), identifiers show first4…last4,
// credentials are caught by context; and non-secret text is never corrupted (a password that is a
// common word does not eat host names, user names, JSON keys or field names).
import { describe, expect, it } from 'vitest';
import { encodedForms, makeRedactor, redactReport, strength } from '../../src/engine/redact.js';
import { isIdentifierKeyName, isSecretKeyName, maskIdentifier } from '../../src/config/secret.js';
import { findLeak } from '../cli/leaks.js';

const CANARY = 'CANARY-7f3a9-Zq';
// AWS-key-shaped strings are built at run time: the fixtures must not look like committed keys to secret scanners.
const AK = 'AK' + 'IA';
const AKID = `${AK}IOSFODNN7EXAMPLE`;

function forms(s: string): string[] {
  const b = Buffer.from(s);
  return [
    s, b.toString('base64'), b.toString('base64url'), b.toString('hex'), b.toString('hex').toUpperCase(),
    encodeURIComponent(s), JSON.stringify(s).slice(1, -1),
    // inside longer blobs at every byte alignment
    Buffer.from(`x${s}`).toString('base64'), Buffer.from(`xy${s}`).toString('base64'), Buffer.from(`user:${s}`).toString('base64'),
    Buffer.from(`ab${s}cd`).toString('base64url'),
  ];
}

describe('redactor: hides every form of a known secret', () => {
  const r = makeRedactor({ secrets: [CANARY, 'p@ss w/rd&<"x">'], identifiers: [AKID] });

  it('raw, base64 (all alignments, URL-safe), hex, URL-encoded, JSON-escaped', () => {
    for (const f of forms(CANARY)) {
      expect(findLeak(`before ${f} after`, CANARY), 'the finder finds it unredacted').toBeTruthy();
      const out = r(`before ${f} after`);
      expect(findLeak(out, CANARY), f).toBeUndefined();
      expect(out).toMatch(/^before .*\*\*\*.* after$/);
    }
  });

  it('secrets with special characters: JSON, XML, URL and markdown forms', () => {
    const s = 'p@ss w/rd&<"x">';
    for (const f of [s, JSON.stringify(s), JSON.stringify(JSON.stringify(s)), encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+'),
      s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')]) {
      expect(r(`v=${f};`), f).not.toContain(f.replace(/^"|"$/g, ''));
    }
    for (const f of encodedForms(s)) expect(r(` ${f} `)).not.toContain(f);
  });

  it('identifiers show first4…last4, in every format, also inside SigV4/SigV2 echoes', () => {
    expect(r(`key ${AKID} denied`)).toBe(`key ${maskIdentifier(AKID)} denied`);
    expect(maskIdentifier(AKID)).toBe('AKIA…MPLE');
    expect(r(`Credential=${AKID}/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123`))
      .toBe('Credential=AKIA…MPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=***');
    expect(r(`X-Amz-Credential=${AKID}%2F20250101%2Fus-east-1`)).not.toContain(AKID);
    expect(r(`AWS ${AK}ZZZZZZZZZZZZZZZZ:c2lnbmF0dXJlLXNpZ25hdHVyZQ==`)).toBe('AWS AKIA…ZZZZ:***');
    // an access key id nobody registered is still masked by its shape
    expect(r(`${AK}1234567890ABCDEF`)).toBe('AKIA…CDEF');
    expect(r(Buffer.from(AKID).toString('base64'))).not.toContain(Buffer.from(AKID).toString('base64').slice(0, 20));
  });

  it('credentials it does not know, by context', () => {
    expect(r('postgres://flyte:hunter22@db:5432/x')).toBe('postgres://flyte:***@db:5432/x');
    expect(r('https://:tok3n-abc@host/')).toBe('https://:***@host/');
    expect(r('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe('Authorization: Bearer ***');
    expect(r(`Authorization: Basic ${Buffer.from('someone:unknown-pw').toString('base64')}`)).toBe('Authorization: Basic ***');
    expect(r('host=db password=unknownpw1 sslmode=require')).toBe('host=db password=*** sslmode=require');
    expect(r('{"client_secret":"abc123xyz","token_type":"Bearer","access_token":"zzz999"}')).toBe('{"client_secret":"***","token_type":"Bearer","access_token":"***"}');
    expect(r('{\\"password\\":\\"abc\\"}')).toBe('{\\"password\\":\\"***\\"}');
    expect(r('url ?X-Amz-Signature=abcdef0123&X-Amz-Security-Token=FQoGZXIvYXdzE&sig=Zm9vYmFy')).toBe('url ?X-Amz-Signature=***&X-Amz-Security-Token=***&sig=***');
    expect(r('-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----')).toBe('-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----');
    expect(r('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG')).toBe('AWS_SECRET_ACCESS_KEY=***');
    // command-line flags, as exec plugins' and containers' args echo them
    expect(r('kubectl oidc-login get-token --oidc-client-id=flyte --oidc-client-secret=Zq8xSecret1')).toBe('kubectl oidc-login get-token --oidc-client-id=flyte --oidc-client-secret=***');
    expect(r('kubelogin get-token --client-secret Wv7ySecret2 --server-id 6dae42f8')).toBe('kubelogin get-token --client-secret *** --server-id 6dae42f8');
    expect(r('flyteadmin -db.password "Pw-x91Abc" -token=abc')).toBe('flyteadmin -db.password "***" -token=***');
    // user:password given to curl / mc in a lifecycle hook or an event; a Kubernetes identity is no pair
    expect(r('exec [sh -c curl -u admin:S3cr3tPw http://x/hook] failed')).toBe('exec [sh -c curl -u admin:*** http://x/hook] failed');
    expect(r("curl --user 'svc:p@ss:w0rd' -x http://p --proxy-user=bob:Pr0xyPw")).toBe("curl --user 'svc:***' -x http://p --proxy-user=bob:***");
    expect(r('kubectl create rolebinding r --role=x --user=system:serviceaccount:flyte:default')).toBe('kubectl create rolebinding r --role=x --user=system:serviceaccount:flyte:default');
    expect(r('run -u 1000 as user, time 12:30')).toBe('run -u 1000 as user, time 12:30');
  });

  it('secrets whose starts overlap in the text: each is found (the quick pre-check tries every position)', () => {
    // "abcabcX9..." starts at 1 and fails; "bcabcY7..." starts at 2, inside that first start
    const o = makeRedactor({ secrets: ['abcabcX9-secret-one', 'bcabcY7-secret-two'] });
    expect(o('xabcabcY7-secret-two!')).toBe('xa***!');
    expect(o('abcabcX9-secret-one and bcabcY7-secret-two')).toBe('*** and ***');
    // and a text holding the start of a secret (not at a cut) but not the secret is left as it is
    expect(o('abcabcX9-secret-on and more')).toBe('abcabcX9-secret-on and more');
  });

  it('a long secret (a 17 KB key) is hidden whole, in its other forms and when a text was cut inside it, in time linear in its length', () => {
    const key = Array.from({ length: 500 }, (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${i}`).join('\n'); // ~17 KB
    const k = makeRedactor({ secrets: [key] });
    const t0 = performance.now();
    expect(k(`payload: ${key.slice(0, 300)}...`)).toBe('payload: ***...');
    expect(k(`...${key.slice(-200)} end`)).toBe('...*** end');
    // the whole key, raw and in its other forms (V8 refused the pattern of them all: the redactor threw)
    expect(k(`key: ${key} end`)).toBe('key: *** end');
    expect(k(`b64 ${Buffer.from(key).toString('base64')}`)).toBe('b64 ***');
    expect(k(`json "${JSON.stringify(key).slice(1, -1)}"`)).toBe('json "***"');
    expect(performance.now() - t0).toBeLessThan(1000); // was quadratic in the key's length
  });

  it('a huge secret (600 KB, a CA bundle kept in a Secret): cuts of any length at either end are hidden, in bounded time', () => {
    const huge = Array.from({ length: 12_000 }, (_, i) => `line-${i}-${(i * 7919) % 100_003}-QmFzZTY0LWlzaC1ibG9i`).join('/');
    const t0 = performance.now();
    const h = makeRedactor({ secrets: [huge] });
    expect(h(`short cut: ${huge.slice(0, 300)}`)).toBe('short cut: ***');
    // texts longer than the cut index (4 KB): the cut is searched for in the secret
    const filler = 'x'.repeat(5000);
    expect(h(`${filler} long cut: ${huge.slice(0, 10_000)}`)).toBe(`${filler} long cut: ***`);
    expect(h(`${huge.slice(-10_000)} :long cut at the start ${filler}`)).toBe(`*** :long cut at the start ${filler}`);
    expect(h(`${filler} whole: ${huge} end`)).toBe(`${filler} whole: *** end`);
    expect(performance.now() - t0).toBeLessThan(1500); // ~0.15 s; with every cut indexed ~3 s and ~500 MB (quadratic before that: hours)
  });

  it('is live: a secret added after the redactor was made (ctx.addSecret) applies at once', () => {
    const secrets: string[] = [];
    const live = makeRedactor(secrets);
    expect(live('token exec-plugin-tok-123')).toBe('token ***'); // by context already
    expect(live('echo exec-plugin-tok-123')).toBe('echo exec-plugin-tok-123');
    secrets.push('exec-plugin-tok-123');
    expect(live('echo exec-plugin-tok-123')).toBe('echo ***');
    const t = { secrets: [] as string[], identifiers: [] as string[] };
    const r2 = makeRedactor(t);
    t.identifiers.push('ASIAXXXXXXXXXXXX1234');
    expect(r2('id ASIAXXXXXXXXXXXX1234')).toBe('id ASIA…1234');
  });

  it('compiles its patterns once per change of the secrets, not once per text (fixed, live and source lists)', () => {
    for (const make of [
      (plain: () => string[]) => ({ r: makeRedactor(['s3cret-value-1'], { plain }), add: () => false }),
      (plain: () => string[]) => { const l = ['s3cret-value-1']; return { r: makeRedactor(l, { plain }), add: () => { l.push('s3cret-value-2'); return true; } }; },
      (plain: () => string[]) => { const t = { secrets: ['s3cret-value-1'] }; return { r: makeRedactor(t, { plain }), add: () => { t.secrets.push('s3cret-value-2'); return true; } }; },
    ]) {
      let compiles = 0;
      const { r, add } = make(() => { compiles++; return []; });
      for (let i = 0; i < 50; i++) expect(r(`text ${i} s3cret-value-1`)).toBe(`text ${i} ***`);
      expect(compiles).toBe(1);
      if (add()) {
        for (let i = 0; i < 50; i++) expect(r.structured(`text ${i} s3cret-value-2`)).toBe(`text ${i} ***`);
        expect(compiles).toBe(2);
      }
    }
  });
});

describe('redactor: never corrupts what is not secret', () => {
  const plain = ['postgres.flyte.svc', 'postgres', 'flyte', 'flyteadmin', 'my-bucket'];
  const r = makeRedactor({ secrets: ['postgres', 'password', 'flyte', 'hunter2', 'abc'] }, { plain: () => plain });

  it('a common-word password does not mask hosts, user names, JSON keys or field names', () => {
    const texts = [
      'could not connect to postgres.flyte.svc:5432 as user postgres',
      'databases[0].passwordSource',
      '{"passwordSource":"configuration.database.password","host":"postgres.flyte.svc"}',
      'password authentication failed for user "flyte"',
      'flyte-binary release flyte-backend in namespace flyte',
      'check database.postgres.auth (configuration.database.password)',
    ];
    for (const t of texts) expect(r(t)).toBe(t);
    for (const t of texts) expect(r.structured(t)).toBe(t);
  });

  it('a weak secret is hidden as a whole word only', () => {
    expect(r('the password is hunter2.')).toBe('the password is ***.');
    expect(r('hunter2')).toBe('***');
    expect(r('hunter22 xhunter2 hunter2x hunter2.example.com path/hunter2/x')).toBe('hunter22 xhunter2 hunter2x hunter2.example.com path/hunter2/x');
    expect(r('abc abcdef')).toBe('abc abcdef'); // shorter than 4: only in credential contexts
    expect(r('password=abc')).toBe('password=***');
    expect(r('postgres://u:postgres@h/db')).toBe('postgres://u:***@h/db');
  });

  it('a strong secret equal to a non-secret value of the inputs is not hidden in free text (it prints as that value anyway)', () => {
    const r2 = makeRedactor({ secrets: ['flyte-prod-db-7'] }, { plain: () => ['flyte-prod-db-7.example.com'] });
    expect(r2('host flyte-prod-db-7.example.com')).toBe('host flyte-prod-db-7.example.com');
    expect(r2('the password flyte-prod-db-7 was rejected')).toBe('the password *** was rejected');
  });

  it('structured fields: only long secrets, URL credentials and key ids; keys of objects never', () => {
    const rr = makeRedactor({ secrets: [CANARY, 'hunter2'], identifiers: [AKID] });
    const report = {
      target: { fields: [{ field: 'databases[0].user', value: 'hunter2', source: 'values.yaml: configuration.database.username' }, { field: 'storage.endpoint', value: 'http://u:pw1@minio:9000', source: 'x' }] },
      results: [{ id: 'storage.s3.put', message: `denied for hunter2 with ${CANARY}`, hint: `key ${AKID}`, details: { hunter2: 'hunter2', nested: [CANARY] } }],
    };
    const out = redactReport(report, rr);
    expect(out.target.fields[0]!.value).toBe('hunter2');
    expect(out.target.fields[1]!.value).toBe('http://u:***@minio:9000');
    expect(out.results[0]!.message).toBe('denied for *** with ***');
    expect(out.results[0]!.hint).toBe('key AKIA…MPLE');
    expect(out.results[0]!.details).toEqual({ hunter2: '***', nested: ['***'] });
  });

  it('a flag named like a credential in a sentence keeps the word after it (only credential-looking values are masked)', () => {
    const rr = makeRedactor([]);
    for (const t of ['aws eks get-token --cluster-name flyte-prod-01 --region us-east-1', 'set --password to the value of the Secret', 'pass --token plainword', 'flyte-doctor preflight --timeout 10s --only database,storage', 'the re-token flow', 'a non-secret --client-id Abc12345xyz']) expect(rr(t)).toBe(t);
  });

  it('placeholders in a fix are not treated as credentials', () => {
    const rr = makeRedactor([]);
    for (const t of ['set PGPASSWORD=<password>', 'password=$DB_PASSWORD', 'Authorization: the token was rejected', 'Bearer authentication is not configured', 'Basic authentication failed']) expect(rr(t)).toBe(t);
  });
});

describe('credential key names', () => {
  it('secret names', () => {
    for (const k of ['password', 'passwd', 'clientSecret', 'client_secret', 'secretKey', 'secret-key', 'aws_secret_access_key', 'AWS_SESSION_TOKEN', 'token', 'refresh_token', 'private_key', 'private_key_id',
      'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_SAS_TOKEN', 'AZURE_STORAGE_KEY', 'AccountKey', 'cookieHashKey', 'clientSecretHash', 'PGPASSWORD', 'X-Amz-Signature', 'sig']) {
      expect(isSecretKeyName(k), k).toBe(true);
    }
  });
  it('not secrets', () => {
    for (const k of ['secretName', 'passwordPath', 'keyFile', 'clientSecretLocation', 'clientSecretEnvVar', 'tokenUrl', 'token_type', 'secretManifest', 'key', 'accessKey', 'access-key', 'access_key_id',
      'AWS_ACCESS_KEY_ID', 'GOOGLE_APPLICATION_CREDENTIALS_FILE', 'tokenEndpoint', 'passwordSource', 'username', 'host', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'secretKeyRef']) {
      expect(isSecretKeyName(k), k).toBe(false);
    }
    expect(isSecretKeyName('key', { bareKey: true })).toBe(true);
  });
  it('identifiers', () => {
    for (const k of ['accessKey', 'access-key', 'access_key_id', 'AWS_ACCESS_KEY_ID', 'aws_access_key_id', 'FLYTE_AWS_ACCESS_KEY_ID']) expect(isIdentifierKeyName(k), k).toBe(true);
    for (const k of ['secretAccessKey', 'AWS_SECRET_ACCESS_KEY', 'clientId']) expect(isIdentifierKeyName(k), k).toBe(false);
  });
  it('strength', () => {
    expect(strength('postgres')).toBe('weak');
    expect(strength('abc')).toBe('short');
    expect(strength('Db-Pass-7781')).toBe('strong');
    expect(strength('miniostorage')).toBe('strong');
  });
});

describe('redactor: a text cut inside a secret', () => {
  it('hides the start of a secret at the end of a truncated text, and its end at the start', () => {
    const s = 'Cnry-c3fce9c3be-4410aZ';
    const r = makeRedactor([s]);
    expect(r(`message … ${s.slice(0, 12)}`)).toBe('message … ***');
    expect(r(`message … ${s.slice(0, 12)}...`)).toBe('message … ***...');
    expect(r(`${s.slice(6)} and more`)).toBe('*** and more');
    expect(r(`…${s.slice(6)} and more`)).toBe('…*** and more');
    expect(r('message ends with Cnry')).toBe('message ends with Cnry'); // too short a part to tell
  });
});
