// One kubeconfig module with kubectl's rules (src/config/kubeconfig.ts), used by the loader and by
// the client: which files, how they merge, relative paths, the selected context, and every
// credential kind against the test bed's real kube-apiserver (token, tokenFile, client certificate
// data and file, exec plugins, oidc/gcp auth-providers, insecure-skip-tls-verify, tls-server-name,
// proxy-url), plus the bad inputs that exit 2 and the credential problems that are findings.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { credentialSecrets, loadKubeconfig, locateKubeconfigs, readMergedKubeconfig, selectContext } from '../../../src/config/kubeconfig.js';
import { UserError } from '../../../src/errors.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { makeContext } from '../../infra/common.js';

const tb = () => getTestbed();
const tmp = () => mkdtempSync(join(tmpdir(), 'fd-k8s-kc-'));

interface Kc { clusters?: Record<string, Record<string, unknown>>; users?: Record<string, Record<string, unknown>>; contexts?: Record<string, Record<string, unknown>>; current?: string }
function kubeconfig(o: Kc): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: Object.entries(o.clusters ?? {}).map(([name, cluster]) => ({ name, cluster })),
    users: Object.entries(o.users ?? {}).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(o.contexts ?? {}).map(([name, context]) => ({ name, context })),
    ...(o.current ? { 'current-context': o.current } : {}),
  });
}
const write = (dir: string, name: string, text: string) => { const f = join(dir, name); mkdirSync(join(f, '..'), { recursive: true }); writeFileSync(f, text); return f; };
const bed = () => ({ server: tb().kube.server, 'certificate-authority': tb().kube.caFile });
/** A kubeconfig with one context `c` for the given user entry against the test bed's API server. */
function single(user: Record<string, unknown>, cluster: Record<string, unknown> = bed(), dir = tmp()): string {
  return write(dir, 'config', kubeconfig({ clusters: { tb: cluster }, users: { u: user }, contexts: { c: { cluster: 'tb', user: 'u', namespace: 'flyte' } }, current: 'c' }));
}
const target = (kubeconfigPath: string, context?: string) => makeTarget({ kubernetes: { kubeconfigPath, ...(context ? { context } : {}), namespace: 'flyte', release: 'flyte' } } as never);
const load = (o: { kubeconfig?: string; context?: string; env?: NodeJS.ProcessEnv; cwd?: string; home?: string }) => loadKubeconfig({ env: o.env ?? {}, cwd: o.cwd ?? process.cwd(), home: o.home ?? tmp(), ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
const userError = (f: () => unknown): string => { try { f(); } catch (e) { expect(e).toBeInstanceOf(UserError); return (e as Error).message; } throw new Error('expected a UserError'); };

/** A client certificate signed by the test bed's CA (the API server's --client-ca-file). */
function clientCert(dir: string, cn: string, org: string, expired = false): { cert: string; key: string } {
  const ca = makeContext(tb().dir, () => {}).ca;
  const key = join(dir, `${cn}.key`), csr = join(dir, `${cn}.csr`), cert = join(dir, `${cn}.crt`), ext = join(dir, `${cn}.ext`);
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/O=${org}/CN=${cn}`], { stdio: 'ignore' });
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  if (!expired) {
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
  } else {
    const caDir = join(dir, 'ca'); mkdirSync(join(caDir, 'new'), { recursive: true });
    writeFileSync(join(caDir, 'index.txt'), ''); writeFileSync(join(caDir, 'serial'), '1000\n');
    writeFileSync(join(caDir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndir=${caDir}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/new\nserial=$dir/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n`);
    const fmt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    execFileSync('openssl', ['ca', '-batch', '-config', join(caDir, 'ca.cnf'), '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert, '-startdate', fmt(new Date(Date.now() - 10 * 86400_000)), '-enddate', fmt(new Date(Date.now() - 86400_000)), '-extfile', ext, '-notext'], { stdio: 'ignore' });
  }
  return { cert, key };
}

/** An exec credential plugin (a shell script) printing `body` (a template where $TOKEN is the admin token from the env). */
function plugin(dir: string, name: string, script: string): string {
  const f = write(dir, name, `#!/bin/sh\n${script}\n`);
  chmodSync(f, 0o755);
  return f;
}
const execCred = (token: string, apiVersion = 'client.authentication.k8s.io/v1beta1') => JSON.stringify({ apiVersion, kind: 'ExecCredential', status: { token } });

describe('kubeconfig files and merge rules (kubectl\'s)', () => {
  it('--kubeconfig alone; $KUBECONFIG skips missing files and duplicates; ~/.kube/config last', () => {
    const d = tmp();
    const a = write(d, 'a.yaml', kubeconfig({ current: 'x' })), b = write(d, 'b.yaml', kubeconfig({}));
    expect(locateKubeconfigs({ kubeconfig: a, env: { KUBECONFIG: b }, cwd: d, home: d })).toMatchObject({ files: [a], source: '--kubeconfig' });
    expect(userError(() => locateKubeconfigs({ kubeconfig: 'nope.yaml', env: {}, cwd: d, home: d }))).toBe('--kubeconfig: cannot read nope.yaml: no such file or directory');
    expect(locateKubeconfigs({ env: { KUBECONFIG: `missing.yaml:a.yaml::b.yaml:a.yaml` }, cwd: d, home: d })).toMatchObject({ files: [a, b], given: ['a.yaml', 'b.yaml'], missing: ['missing.yaml'], source: 'env KUBECONFIG' });
    const home = tmp();
    write(home, '.kube/config', kubeconfig({}));
    expect(locateKubeconfigs({ env: {}, cwd: d, home }).files).toEqual([join(home, '.kube', 'config')]);
    expect(locateKubeconfigs({ env: {}, cwd: d, home: tmp() }).files).toEqual([]);
  });

  it('first current-context wins; the first definition of a name wins; relative paths resolve against the defining file', () => {
    const d = tmp();
    const a = write(d, 'one/a.yaml', kubeconfig({ clusters: { shared: { server: 'https://first:6443', 'certificate-authority': 'ca.crt' } }, users: { u: { tokenFile: 'tok' } }, current: 'from-a' }));
    const b = write(d, 'two/b.yaml', kubeconfig({ clusters: { shared: { server: 'https://second:6443' }, other: { server: 'https://other:6443', 'certificate-authority': '../pki/ca.crt' } },
      users: { u: { token: 'ignored' }, v: { 'client-certificate': 'v.crt', 'client-key': 'v.key', exec: undefined } }, contexts: { 'from-a': { cluster: 'shared', user: 'u' }, 'only-b': { cluster: 'other', user: 'v' } }, current: 'from-b' }));
    const m = readMergedKubeconfig([a, b]);
    expect(m.currentContext).toBe('from-a');
    expect(m.clusters.get('shared')).toMatchObject({ server: 'https://first:6443', certificateAuthority: join(d, 'one', 'ca.crt') });
    expect(m.clusters.get('other')!.certificateAuthority).toBe(join(d, 'pki', 'ca.crt'));
    expect(m.users.get('u')).toMatchObject({ tokenFile: join(d, 'one', 'tok') });
    expect(m.users.get('u')!.token).toBeUndefined();
    expect(m.users.get('v')).toMatchObject({ clientCertificate: join(d, 'two', 'v.crt'), clientKey: join(d, 'two', 'v.key') });
    expect(selectContext(m, 'only-b').cluster.name).toBe('other');
  });

  it('an exec command with a / resolves against its kubeconfig; a bare command stays a PATH lookup', () => {
    const d = tmp();
    const f = write(d, 'k/config', kubeconfig({ users: { a: { exec: { command: './bin/plugin', apiVersion: 'client.authentication.k8s.io/v1' } }, b: { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } } } }));
    const m = readMergedKubeconfig([f]);
    expect(m.users.get('a')!.exec!.command).toBe(join(d, 'k', 'bin', 'plugin'));
    expect(m.users.get('b')!.exec!.command).toBe('aws');
  });

  it('KUBECONFIG=a:b with --context defined only in b loads (kubectl accepts it) and the client uses both files', async () => {
    const d = tmp();
    const a = write(d, 'a.yaml', kubeconfig({ clusters: { gone: { server: 'https://127.0.0.1:1' } }, users: { nobody: { token: 'x-not-used' } }, contexts: { stale: { cluster: 'gone', user: 'nobody' } }, current: 'stale' }));
    write(d, 'tb.token', `${tb().kube.tokens.admin}\n`);
    write(d, 'b.yaml', kubeconfig({ clusters: { tb: bed() }, users: { admin: { tokenFile: 'tb.token' } }, contexts: { bed: { cluster: 'tb', user: 'admin', namespace: 'flyte' } } }));
    const r = load({ env: { KUBECONFIG: `a.yaml:b.yaml` }, context: 'bed', cwd: d });
    expect(r).toMatchObject({ context: 'bed', kubeconfigPath: 'a.yaml:b.yaml', kubeconfigFiles: [a, join(d, 'b.yaml')], contextNamespace: 'flyte' });
    expect(r.provenance).toMatchObject({ 'kubernetes.kubeconfigPath': 'env KUBECONFIG', 'kubernetes.context': '--context' });
    expect(r.secrets).toContain(tb().kube.tokens.admin);
    const t = makeTarget({ kubernetes: { kubeconfigPath: r.kubeconfigFiles.join(':'), context: 'bed', namespace: 'flyte', release: 'flyte' } } as never);
    const run = await runSelection(t, 'preflight', ['kubernetes.api.reachable']);
    const byId = Object.fromEntries(run.results.map((x) => [x.id, x]));
    expect(byId['kubernetes.config.load']!.message).toContain(`token read from ${join(d, 'tb.token')}`);
    expect(byId['kubernetes.api.reachable']).toMatchObject({ status: 'pass', messageId: 'reachable' });
    expect(byId['kubernetes.api.reachable']!.message).toContain('token-file credentials');
  });

  it('bad input exits 2 with one line naming the file, the key and the expectation, never a credential value', () => {
    const d = tmp();
    const typed = write(d, 'typed.yaml', 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: 123456789\n');
    const m1 = userError(() => load({ kubeconfig: typed }));
    expect(m1).toBe(`${typed}: users[0].user.token: expected a string, got a number`);
    expect(m1).not.toContain('123456789');
    expect(userError(() => load({ kubeconfig: write(d, 'l.yaml', 'clusters: {a: 1}\n') }))).toMatch(/l\.yaml: clusters: expected a list of \{name, cluster\}, got a map/);
    expect(userError(() => load({ kubeconfig: write(d, 'y.yaml', 'clusters: [\n') }))).toMatch(/y\.yaml:\d+:\d+: invalid YAML/);
    const cur = write(d, 'cur.yaml', kubeconfig({ clusters: { c: bed() }, contexts: { a: { cluster: 'c' } }, current: 'gone' }));
    expect(userError(() => load({ kubeconfig: cur }))).toBe(`${cur}: current-context: names context "gone", which is not defined in ${cur}; available: a (pass --context or fix current-context)`);
    expect(userError(() => load({ kubeconfig: cur, context: 'prod' }))).toBe(`--context prod: no such context in ${cur}; available: a`);
    const noUser = write(d, 'nouser.yaml', kubeconfig({ clusters: { c: bed() }, contexts: { a: { cluster: 'c', user: 'ghost' } }, current: 'a' }));
    expect(userError(() => load({ kubeconfig: noUser }))).toBe(`${noUser}: context "a": names user "ghost", which is not defined in ${noUser}`);
    const noServer = write(d, 'noserver.yaml', kubeconfig({ clusters: { c: {} }, contexts: { a: { cluster: 'c' } }, current: 'a' }));
    expect(userError(() => load({ kubeconfig: noServer }))).toContain('cluster "c".server: not set; expected the API server URL');
    expect(userError(() => load({ kubeconfig: d }))).toMatch(/is a directory/);
    const both = write(d, 'both.yaml', kubeconfig({ clusters: { c: { ...bed(), 'insecure-skip-tls-verify': true } }, contexts: { a: { cluster: 'c' } }, current: 'a' }));
    expect(userError(() => load({ kubeconfig: both }))).toContain('sets both insecure-skip-tls-verify and a certificate-authority');
    // a server URL with whitespace around it: kubectl (Go's url.Parse) refuses it, so it is not quietly trimmed
    const spaced = write(d, 'spaced.yaml', kubeconfig({ clusters: { c: { ...bed(), server: 'https://127.0.0.1:6443 ' } }, contexts: { a: { cluster: 'c' } }, current: 'a' }));
    expect(userError(() => load({ kubeconfig: spaced }))).toBe(`${spaced}: cluster "c".server: "https://127.0.0.1:6443 " ends with a space, which kubectl refuses (Go's url.Parse: "invalid port" or "first path segment in URL cannot contain colon"); expected "https://127.0.0.1:6443"`);
    // the scheme twice: a WHATWG URL join reached the right server by accident; kubectl dials a host named "https"
    const twice = write(d, 'twice.yaml', kubeconfig({ clusters: { c: { ...bed(), server: `https://${tb().kube.server}` } }, contexts: { a: { cluster: 'c' } }, current: 'a' }));
    expect(userError(() => load({ kubeconfig: twice }))).toBe(`${twice}: cluster "c".server: "https://${tb().kube.server}" has the scheme twice, so kubectl dials a host named "https"; expected "${tb().kube.server}"`);
  });

  it('collects every credential of the selected user: token, tokenFile content, basic password and its base64, client key, exec env, auth-provider tokens', () => {
    const d = tmp();
    write(d, 'tok', 'file-token-abcdef\n');
    write(d, 'key.pem', '-----BEGIN PRIVATE KEY-----\nfilekeyfilekey\n-----END PRIVATE KEY-----\n');
    const m = readMergedKubeconfig([write(d, 'c.yaml', kubeconfig({ users: { u: {
      token: 'static-token-123', tokenFile: 'tok', username: 'bob', password: 'hunter22', 'client-key': 'key.pem',
      'client-key-data': Buffer.from('-----BEGIN PRIVATE KEY-----\ndatakey\n-----END PRIVATE KEY-----\n').toString('base64'),
      exec: { command: 'x', apiVersion: 'client.authentication.k8s.io/v1', env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'sek' }, { name: 'AWS_REGION', value: 'eu-west-1' }, { name: 'LONG_VALUE', value: 'a-long-exec-value' }] },
      'auth-provider': { name: 'oidc', config: { 'id-token': 'idtok-1234', 'refresh-token': 'refresh-5678', 'client-secret': 'cs-9999', 'client-id': 'public-client' } },
    } } }))]);
    const s = credentialSecrets(m.users.get('u')!);
    for (const v of ['static-token-123', 'file-token-abcdef\n', 'file-token-abcdef', 'hunter22', Buffer.from('bob:hunter22').toString('base64'), 'sek', 'a-long-exec-value', 'idtok-1234', 'refresh-5678', 'cs-9999']) expect(s, v).toContain(v);
    expect(s.some((x) => x.includes('filekeyfilekey'))).toBe(true);
    expect(s.some((x) => x.includes('datakey'))).toBe(true);
    expect(s).not.toContain('eu-west-1');
    const args = credentialSecrets({ exec: { command: 'x', apiVersion: 'v1', env: [], args: ['--oidc-client-secret=cs-1', '--client-secret', 'cs-2', '-token', 'tk-3', '--client-id', 'public-id', '--verbose', '--api-key', '--other'] } } as never);
    expect(args).toEqual(expect.arrayContaining(['cs-1', 'cs-2', 'tk-3']));
    expect(args).not.toContain('public-id');
    expect(args).not.toContain('--other');
    expect(s).not.toContain('public-client');
  });
});

describe('credentials against the real API server', () => {
  it('token, tokenFile (relative to the kubeconfig), client certificate (data and file), insecure-skip-tls-verify, tls-server-name', async () => {
    const d = tmp();
    write(d, 'sub/token', tb().kube.tokens.admin);
    const rel = write(d, 'sub/config', kubeconfig({ clusters: { tb: bed() }, users: { u: { tokenFile: 'token' } }, contexts: { c: { cluster: 'tb', user: 'u' } }, current: 'c' }));
    const cert = clientCert(d, 'fd-cert-admin', 'system:masters');
    const cases: [string, string, string][] = [
      ['token', single({ token: tb().kube.tokens.admin }), 'token'],
      ['tokenFile', rel, 'token-file'],
      ['cert files', single({ 'client-certificate': cert.cert, 'client-key': cert.key }), 'client-certificate'],
      ['cert data', single({ 'client-certificate-data': readFileSync(cert.cert).toString('base64'), 'client-key-data': readFileSync(cert.key).toString('base64') }), 'client-certificate'],
      ['insecure-skip-tls-verify', single({ token: tb().kube.tokens.admin }, { server: tb().kube.server, 'insecure-skip-tls-verify': true }), 'token'],
      ['tls-server-name', single({ token: tb().kube.tokens.admin }, { ...bed(), server: tb().kube.server, 'tls-server-name': 'kubernetes.default' }), 'token'],
      ['oidc id-token', single({ 'auth-provider': { name: 'oidc', config: { 'id-token': tb().kube.tokens.admin, 'client-id': 'x' } } }), 'auth-provider'],
      ['gcp access-token', single({ 'auth-provider': { name: 'gcp', config: { 'access-token': tb().kube.tokens.admin, expiry: new Date(Date.now() + 3600_000).toISOString() } } }), 'auth-provider'],
    ];
    for (const [name, file, auth] of cases) {
      const { result, results } = await runCheck('kubernetes.api.reachable', target(file));
      expect(result.status, `${name}: ${results.map((r) => `${r.id} ${r.status} ${r.message}`).join(' | ')}`).toBe('pass');
      expect(result.details!.auth, name).toBe(auth);
    }
  });

  it('a wrong tls-server-name and an expired client certificate are named', async () => {
    const d = tmp();
    const wrong = (await runCheck('kubernetes.api.reachable', target(single({ token: tb().kube.tokens.admin }, { ...bed(), 'tls-server-name': 'not-in-the-cert.example' })))).result;
    expect(wrong).toMatchObject({ status: 'fail', messageId: 'tlsHostname' });
    const old = clientCert(d, 'fd-cert-old', 'system:masters', true);
    const r = (await runCheck('kubernetes.api.reachable', target(single({ 'client-certificate': old.cert, 'client-key': old.key })))).result;
    expect(r).toMatchObject({ status: 'fail', messageId: 'unauthorized' });
    expect(r.message).toMatch(/client certificate expired at \d{4}-/);
    expect(r.hint).toContain('--client-certificate=<crt> --client-key=<key> --embed-certs');
  });

  it('credential problems are kubernetes.config.load findings naming the field', async () => {
    const d = tmp();
    const cy = clientCert(d, 'fd-cert-y', 'y');
    const cases: [string, string, string, RegExp][] = [
      ['missing tokenFile', single({ tokenFile: join(d, 'nope') }), 'credentialFileUnreadable', /token file of user "u" \(tokenFile\): cannot read .*nope: no such file/],
      ['empty tokenFile', single({ tokenFile: write(d, 'empty', '\n') }), 'credentialInvalid', /tokenFile .*empty\) is empty/],
      ['tokenFile is a FIFO-like directory', single({ tokenFile: d }), 'credentialFileUnreadable', /is a directory/],
      ['missing client key', single({ 'client-certificate': clientCert(d, 'fd-cert-x', 'x').cert, 'client-key': join(d, 'nokey') }), 'credentialFileUnreadable', /client key of user "u" \(client-key\)/],
      ['key not PEM', single({ 'client-certificate-data': Buffer.from('x').toString('base64'), 'client-key-data': 'bm90IGEga2V5' }), 'credentialInvalid', /client-certificate-data\) is not base64-encoded PEM/],
      ['CA not PEM', single({ token: 't-123' }, { server: tb().kube.server, 'certificate-authority-data': 'bm90IGEgY2E=' }), 'credentialInvalid', /the CA of cluster "tb"/],
      ['expired oidc id-token', single({ 'auth-provider': { name: 'oidc', config: { 'id-token': `e30.${Buffer.from(JSON.stringify({ exp: 1000 })).toString('base64url')}.sig`, 'refresh-token': 'r-123' } } }), 'credentialsExpired', /oidc id-token of user "u" expired at 1970-01-01/],
      ['expired gcp token', single({ 'auth-provider': { name: 'gcp', config: { 'access-token': 'ya29.old', expiry: '2020-01-01T00:00:00Z' } } }), 'credentialsExpired', /gcp access-token of user "u" expired at 2020-01-01.*removed the gcp auth-provider in 1\.26/],
      ['unknown auth-provider', single({ 'auth-provider': { name: 'openstack', config: {} } }), 'authUnsupported', /auth-provider "openstack"/],
      ['exec v1alpha1', single({ exec: { command: 'true', apiVersion: 'client.authentication.k8s.io/v1alpha1' } }), 'authUnsupported', /v1alpha1/],
      // Go's net/http refuses control characters in a header value; client-go trims a tokenFile only
      ['inline token ending in a line break (token: |)', single({ token: `${tb().kube.tokens.admin}\n` }), 'credentialInvalid', /the token of user "u" contains a line break \(\\n\) at its end: kubectl .* refuse it as an HTTP header/],
      // a path written as a YAML block scalar ends with a line break: the file is there without it
      ['CA path ending in a line break', single({ token: tb().kube.tokens.admin }, { server: tb().kube.server, 'certificate-authority': `${bed()['certificate-authority']}\n` }), 'credentialFileUnreadable', /\(certificate-authority\): cannot read "[^"\n]+ca\.crt\\n": no such file or directory: the path ends with a newline, and \S+ca\.crt exists: remove the whitespace from the path \(a YAML block scalar/],
      // "ca.crt/" names a directory: Go (kubectl) answers "not a directory"; path.resolve would drop the '/'
      ['CA path ending in a slash', single({ token: tb().kube.tokens.admin }, { server: tb().kube.server, 'certificate-authority': `${bed()['certificate-authority']}/` }), 'credentialFileUnreadable', /\(certificate-authority\): cannot read \S+ca\.crt\/: the path ends with "\/", which names a directory, but \S+ca\.crt is a file \("not a directory"\): remove the "\/"/],
      ['client key path starting with a space', single({ 'client-certificate': cy.cert, 'client-key': ` ${cy.key}` }), 'credentialFileUnreadable', /cannot read "\/[^"]+\/ \/[^"]+fd-cert-y\.key": no such file or directory: a part of the path, " ", is only whitespace \(a path written with a space first is relative[^)]*\), and \/\S+fd-cert-y\.key exists: remove the whitespace/],
      ['exec token with a carriage return inside', single({ exec: { command: plugin(d, 'cr.sh', `printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t-4\\rx"}}'`), apiVersion: 'client.authentication.k8s.io/v1' } }), 'credentialInvalid', /printed \(status\.token\) contains a carriage return \(\\r\) at character 4 of 5/],
    ];
    for (const [name, file, id, re] of cases) {
      const { result } = await runCheck('kubernetes.config.load', target(file));
      expect(result, name).toMatchObject({ status: 'fail', messageId: id });
      expect(result.message, name).toMatch(re);
      expect(result.hint, name).toBeTruthy();
    }
  });

  it('exec plugins: env, args and provideClusterInfo reach the plugin; its token is used and never printed', async () => {
    const d = tmp();
    const p = plugin(d, 'ok.sh', `[ "$1" = "get-token" ] || { echo "bad args: $*" >&2; exit 9; }\necho "$KUBERNETES_EXEC_INFO" | grep -q '"server":"${tb().kube.server}"' || { echo "no cluster info" >&2; exit 8; }\nprintf '%s' '${execCred('PLACEHOLDER')}' | sed "s/PLACEHOLDER/$FD_TOKEN/"`);
    const file = single({ exec: { command: p, args: ['get-token'], apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: true, env: [{ name: 'FD_TOKEN', value: tb().kube.tokens.admin }] } });
    const { result, results } = await runCheck('kubernetes.api.reachable', target(file));
    expect(result.status, results.map((r) => r.message).join(' | ')).toBe('pass');
    expect(result.message).toContain(`exec plugin \`${p}\``);
    expect(JSON.stringify(results)).not.toContain(tb().kube.tokens.admin);
  });

  it('exec plugins: missing, failing (stderr quoted without its env values), malformed output, expired, wrong apiVersion, timeout', async () => {
    const d = tmp();
    const leak = 'exec-env-secret-value-77';
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['missing', { command: 'fd-k8s-no-such-plugin', apiVersion: 'client.authentication.k8s.io/v1', installHint: 'install fd-k8s-no-such-plugin from the intranet' }, 'execPluginMissing', /not found on PATH/],
      ['failing', { command: plugin(d, 'fail.sh', `echo "login expired for key $SECRET_KEY, run aws sso login" >&2\nexit 3`), apiVersion: 'client.authentication.k8s.io/v1', env: [{ name: 'SECRET_KEY', value: leak }] }, 'execPluginFailed', /exited with 3: login expired for key \*\*\*, run aws sso login/],
      ['not JSON', { command: plugin(d, 'text.sh', 'echo hello'), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginBadOutput', /no ExecCredential JSON on stdout/],
      ['wrong kind', { command: plugin(d, 'kind.sh', `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"Other","status":{"token":"t-1"}}'`), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginBadOutput', /kind "Other", not ExecCredential/],
      ['wrong apiVersion', { command: plugin(d, 'ver.sh', `echo '${execCred('t-2', 'client.authentication.k8s.io/v1beta1')}'`), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginBadOutput', /apiVersion "client.authentication.k8s.io\/v1beta1", but the kubeconfig asks for client.authentication.k8s.io\/v1/],
      ['no token', { command: plugin(d, 'empty.sh', `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}'`), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginBadOutput', /no token and no client certificate/],
      ['expired', { command: plugin(d, 'exp.sh', `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t-3","expirationTimestamp":"2001-01-01T00:00:00Z"}}'`), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginBadOutput', /already expired at 2001-01-01/],
      ['timeout', { command: plugin(d, 'slow.sh', 'sleep 30'), apiVersion: 'client.authentication.k8s.io/v1' }, 'execPluginTimeout', /did not finish before the time was up/],
    ];
    for (const [name, exec, id, re] of cases) {
      const { result, results } = await runCheck('kubernetes.config.load', target(single({ exec })), { timeoutMs: 2500 });
      expect(result, name).toMatchObject({ status: 'fail', messageId: id });
      expect(result.message, name).toMatch(re);
      expect(JSON.stringify(results), name).not.toContain(leak);
    }
  });

  it('exec plugins: a process the plugin leaves behind holding its stdout is named within a second (kubectl would hang); one with its output redirected is fine', async () => {
    const d = tmp();
    const token = 'held-open-token-4711';
    const held = plugin(d, 'held.sh', `sleep 30 &\necho '${execCred(token)}'`);
    const t0 = Date.now();
    const { result, results } = await runCheck('kubernetes.config.load', target(single({ exec: { command: held, apiVersion: 'client.authentication.k8s.io/v1beta1' } })), { timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginHeldOpen' });
    expect(result.message).toMatch(/exited with 0, but a process it started still holds its standard output open 500 ms later: kubectl waits for that output to end and hangs/);
    expect(result.hint).toContain('>/dev/null 2>&1 &');
    expect(JSON.stringify(results)).not.toContain(token);
    // the same daemon with its output redirected: the plugin works (kubectl returns too)
    const ok = plugin(d, 'daemon.sh', `sleep 30 >/dev/null 2>&1 &\nprintf '%s' '${execCred(tb().kube.tokens.admin)}'`);
    const good = await runCheck('kubernetes.config.load', target(single({ exec: { command: ok, apiVersion: 'client.authentication.k8s.io/v1beta1' } })), { timeoutMs: 10_000 });
    expect(good.result.status, good.result.message).toBe('pass');
  });

  it('exec plugins: credentials given as args (`--oidc-client-secret=`, `--client-secret X`, JSON, NAME=value) never print', async () => {
    const d = tmp();
    const secrets = ['oidc-cs-Zq8x41', 'spn-secret-Wv7y', 'plainword', 'json-tok-9921', 'envstyle-Tk33'];
    const p = plugin(d, 'oidc.sh', 'echo "login failed: $*" >&2\nexit 2');
    const args = ['get-token', '--oidc-issuer-url=https://issuer.example.com', '--oidc-client-id=flyte-cli', `--oidc-client-secret=${secrets[0]}`, '--client-secret', secrets[1]!, '--token', secrets[2]!, `{"token":"${secrets[3]}"}`, `API_TOKEN=${secrets[4]}`];
    const { result, results } = await runCheck('kubernetes.config.load', target(single({ exec: { command: p, args, apiVersion: 'client.authentication.k8s.io/v1beta1' } })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginFailed' });
    expect(result.message).toContain('--oidc-client-id=flyte-cli'); // what is not secret still prints
    expect(result.message).toContain('https://issuer.example.com');
    for (const s of secrets) expect(JSON.stringify(results), s).not.toContain(s);
  });

  it('a 401 after a plugin token names the credential kind and the refresh command of that plugin', async () => {
    const d = tmp();
    const aws = plugin(join(d), 'aws', `echo '${execCred('not-a-valid-token-xyz')}'`);
    const { result, results } = await runCheck('kubernetes.api.reachable', target(single({ exec: { command: aws, args: ['eks', 'get-token'], apiVersion: 'client.authentication.k8s.io/v1beta1' } })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'unauthorized' });
    expect(result.message).toContain(`token from the exec plugin \`${aws}\``);
    expect(result.hint).toContain('aws eks update-kubeconfig');
    expect(JSON.stringify(results)).not.toContain('not-a-valid-token-xyz');
    const tokenHint = (await runCheck('kubernetes.api.reachable', target(single({ token: 'expired-token-abc' })))).result;
    expect(tokenHint.hint).toContain('kubectl config set-credentials u --token=<new token>');
    const basic = (await runCheck('kubernetes.api.reachable', target(single({ username: 'bob', password: 'basic-pass-123' })))).result;
    expect(basic).toMatchObject({ status: 'fail', messageId: 'unauthorized' });
    expect(basic.hint).toContain('removed basic authentication in 1.19');
  });

  it('proxy-url: requests go through an HTTP CONNECT proxy; a proxy that refuses is named', async () => {
    const seen: string[] = [];
    const proxy = createHttpServer((_q, s) => s.end());
    proxy.on('connect', (req, client: Socket, head) => {
      seen.push(req.url ?? '');
      if (req.url?.startsWith('127.0.0.1:1:') || req.headers['x-deny']) { client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
      const [host, port] = (req.url ?? '').split(':');
      const up = netConnect(Number(port), host!, () => { client.write('HTTP/1.1 200 Connection Established\r\n\r\n'); up.write(head); up.pipe(client); client.pipe(up); });
      up.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const ok = (await runCheck('kubernetes.api.reachable', target(single({ token: tb().kube.tokens.admin }, { ...bed(), 'proxy-url': `http://127.0.0.1:${port}` })))).result;
      expect(ok.status, ok.message).toBe('pass');
      expect(seen.some((u) => u === `127.0.0.1:${new URL(tb().kube.server).port}`)).toBe(true);
      const deny = createHttpServer(); deny.on('connect', (_q, c: Socket) => c.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'));
      await new Promise<void>((r) => deny.listen(0, '127.0.0.1', r));
      const refused = (await runCheck('kubernetes.api.reachable', target(single({ token: tb().kube.tokens.admin }, { ...bed(), 'proxy-url': `http://127.0.0.1:${(deny.address() as { port: number }).port}` })))).result;
      deny.close();
      expect(refused).toMatchObject({ status: 'fail', messageId: 'proxyFailed' });
      expect(refused.message).toContain('407: proxy authentication required');
      expect(refused.hint).toContain('proxy-url');
    } finally { proxy.close(); }
  });
});

describe('the loader and the client agree', () => {
  it('a copied kubeconfig with relative credential paths works from another working directory', async () => {
    const d = tmp();
    write(d, 'creds/token', tb().kube.tokens.admin);
    copyFileSync(tb().kube.caFile, join(d, 'creds', 'ca.crt'));
    const f = write(d, 'kube/config', kubeconfig({ clusters: { tb: { server: tb().kube.server, 'certificate-authority': '../creds/ca.crt' } }, users: { u: { tokenFile: '../creds/token' } }, contexts: { c: { cluster: 'tb', user: 'u' } }, current: 'c' }));
    const r = load({ env: { KUBECONFIG: f }, cwd: tmp() });
    expect(r.kubeconfigFiles).toEqual([f]);
    const { result } = await runCheck('kubernetes.api.reachable', makeTarget({ kubernetes: { kubeconfigPath: r.kubeconfigPath!, context: r.context!, namespace: 'flyte', release: 'flyte' } } as never));
    expect(result.status, result.message).toBe('pass');
    expect(basename(r.kubeconfigPath!)).toBe('config');
  });
});

describe('KUBECONFIG that names no file', () => {
  it('KUBECONFIG=":::" says it names no file (not "(none) does not exist")', async () => {
    // (the bundled CLI: the session reads the process's environment, as in real use)
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'dist', 'flyte-doctor.mjs'), 'preflight', '--only', 'kubernetes.config.load', '-o', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmp(), KUBECONFIG: ':::' } });
    const res = (JSON.parse(r.stdout) as { results: { id: string; message: string; messageId: string }[] }).results.find((x) => x.id === 'kubernetes.config.load')!;
    expect(res.messageId).toBe('noKubeconfig');
    expect(res.message).toBe('no kubeconfig found ($KUBECONFIG is set to ":::", which names no file)');
  });
});
