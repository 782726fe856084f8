// ingress.host.valid: the Ingress host of the values, judged by Kubernetes' rules. The rules are held
// to the real API server of the test bed: every host of the corpus is sent as an Ingress rule's host
// (a server-side dry run, nothing is created), and the API server must refuse exactly the hosts
// ingressHostProblem refuses, with the message the finding quotes.
import { describe, expect, it } from 'vitest';
import { ingressHostProblem, ingressTlsHostProblem } from '../../../src/config/k8s-names.js';
import { loadTarget } from '../../../src/config/load.js';
import { kubeRequest } from '../../infra/kube.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { ingressFor, run } from '../client/bed.js';

const tb = () => getTestbed();

const CORPUS = [
  'flyte.example.com', '*.example.com', 'localhost', 'a', 'xn--bcher-kva.example', '1.2.3.4.nip.io', 'a-b.c-d.e', `${'a'.repeat(63)}.com`,
  'Flyte.example.com', '*.Example.com', 'flyte_x.example.com', 'https://flyte.example.com', 'http://flyte.example.com/console', 'flyte.example.com:443',
  '127.0.0.1', '::1', '10.0.0.1', 'flyte.example.com.', 'a..b', '-a.com', 'a-.com', '.a.com', `${'a.'.repeat(127)}aa`, 'flyte.example.com\n',
  ' flyte.example.com', 'fly te.com', 'a.*.com', '*', '*.', 'flyte.example.com/', 'fly\tte.com',
];

describe('ingress host rules, held to the API server (dry-run Ingress CREATE)', () => {
  it('the API server refuses exactly the hosts ingressHostProblem refuses, with the message it quotes', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    const disagreements: string[] = [];
    for (const host of CORPUS) {
      const body = {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'fd-host-probe' },
        spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'x', port: { number: 80 } } } }] } }] },
      };
      const r = await kubeRequest<{ message?: string }>(kube, tb().kube.tokens.admin, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses?dryRun=All', body);
      const ours = ingressHostProblem(host);
      const refused = r.status === 422;
      expect([201, 422], `${JSON.stringify(host)}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      if (refused !== Boolean(ours)) disagreements.push(`${JSON.stringify(host)}: API server ${refused ? `refuses (${r.body.message})` : 'accepts'}, ingressHostProblem ${ours ? `refuses (${ours.why})` : 'accepts'}`);
      else if (ours) expect(r.body.message, JSON.stringify(host)).toContain(ours.apiServer);
    }
    expect(disagreements).toEqual([]);
    // (the corpus holds both kinds, so this test can fail either way)
    expect(CORPUS.filter((h) => ingressHostProblem(h)).length).toBeGreaterThan(10);
    expect(CORPUS.filter((h) => !ingressHostProblem(h)).length).toBeGreaterThan(5);
  });

  it('TLS hosts (spec.tls[].hosts): the API server refuses exactly the hosts ingressTlsHostProblem refuses (an IPv4 address passes there, an empty entry does not)', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    const disagreements: string[] = [];
    for (const host of [...CORPUS, '', '1.2.3.4']) {
      const body = {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'fd-tls-host-probe' },
        spec: {
          tls: [{ secretName: 'flyte-tls', hosts: ['flyte.example.com'] }, { secretName: 'flyte-tls', hosts: ['flyte.example.com', host] }],
          rules: [{ host: 'flyte.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'x', port: { number: 80 } } } }] } }],
        },
      };
      const r = await kubeRequest<{ message?: string }>(kube, tb().kube.tokens.admin, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses?dryRun=All', body);
      const ours = ingressTlsHostProblem(host);
      expect([201, 422], `${JSON.stringify(host)}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      const refused = r.status === 422;
      if (refused !== Boolean(ours)) disagreements.push(`${JSON.stringify(host)}: API server ${refused ? `refuses (${r.body.message})` : 'accepts'}, ingressTlsHostProblem ${ours ? `refuses (${ours.why})` : 'accepts'}`);
      else if (ours) expect(r.body.message, JSON.stringify(host)).toContain(`spec.tls[1].hosts[1]: Invalid value: ${JSON.stringify(host)}: ${ours.apiServer}`);
    }
    expect(disagreements).toEqual([]);
    expect(ingressTlsHostProblem('')).toMatchObject({ why: 'is empty' });
    expect(ingressTlsHostProblem('1.2.3.4')).toBeUndefined();
    expect(ingressHostProblem('1.2.3.4')).toBeDefined();
    expect(ingressHostProblem('https://10.0.0.1')?.meant).toBeUndefined(); // an address is not a rule's host either
  });

  it('the value meant, when it can be told, is one the API server accepts', () => {
    const meant = (h: string) => ingressHostProblem(h)?.meant;
    expect(meant('https://flyte.example.com')).toBe('flyte.example.com');
    expect(meant('http://flyte.example.com/console')).toBe('flyte.example.com');
    expect(meant('flyte.example.com:443')).toBe('flyte.example.com');
    expect(meant('Flyte.Example.com')).toBe('flyte.example.com');
    expect(meant('flyte_x.example.com')).toBe('flyte-x.example.com');
    expect(meant('flyte.example.com.')).toBe('flyte.example.com');
    expect(meant('flyte.example.com\n')).toBe('flyte.example.com');
    expect(meant('127.0.0.1')).toBeUndefined();
    expect(meant('a..b')).toBeUndefined();
  });
});

const target = (host: string, o: { chart?: 'flyte-binary' | 'flyte-core'; source?: string; enabled?: boolean } = {}) => {
  const chart = o.chart ?? 'flyte-binary';
  const vk = chart === 'flyte-core' ? 'common.ingress' : 'ingress';
  return makeTarget({
    chart,
    ingress: { ...ingressFor(443), host, httpUrl: `https://${host}`, grpcAddress: `${host}:443`, valuesKey: vk, enabled: o.enabled ?? true },
    provenance: { 'ingress.host': o.source ?? `values.yaml: ${vk}.host` },
  });
};
const check = async (...a: Parameters<typeof target>) => (await run('ingress.host.valid', target(...a), { phase: 'preflight' })).result;

describe('ingress.host.valid', () => {
  it('a lowercase name and a wildcard pass', async () => {
    expect(await check('flyte.example.com')).toMatchObject({ status: 'pass', messageId: 'valid' });
    expect(await check('*.flyte.example.com')).toMatchObject({ status: 'pass', messageId: 'valid' });
  });
  it('a URL fails with the name alone as the fix, in the file that sets it; the cause is the values key', async () => {
    const r = await check('https://flyte.example.com');
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalidHost', cause: 'config:ingress.host' });
    expect(r.message).toContain('"https://flyte.example.com" (values.yaml: ingress.host) is a URL');
    expect(r.message).toContain('spec.rules[0].host: Invalid value: "https://flyte.example.com": a lowercase RFC 1123 subdomain');
    expect(r.hint).toBe('set ingress.host: flyte.example.com in values.yaml (the DNS record and the TLS certificate name the same host)');
  });
  it('flyte-core: common.ingress.host in capitals; an IP address asks to remove the key', async () => {
    const r = await check('Flyte.Example.com', { chart: 'flyte-core' });
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalidHost', cause: 'config:common.ingress.host' });
    expect(r.message).toContain('contains an uppercase letter ("F")');
    expect(r.hint).toContain('set common.ingress.host: flyte.example.com in values.yaml');
    const ip = await check('10.0.0.1');
    expect(ip.message).toContain('is an IP address');
    expect(ip.message).toContain('must be a DNS name, not an IP address');
    expect(ip.hint).toMatch(/^remove ingress\.host from values\.yaml/);
  });
  it('a host that comes from the client config, or no Ingress rendered, is not judged here', async () => {
    expect(await check('Flyte.Example.com', { source: '.flyte/config.yaml: admin.endpoint' })).toMatchObject({ status: 'skip', messageId: 'notFromValues' });
    expect(await check('Flyte.Example.com', { enabled: false })).toMatchObject({ status: 'skip', messageId: 'noIngress' });
  });
  it('flyte-binary TLS sections from the values: tls goes into both Ingresses, httpTls/grpcTls after it; a refused host fails naming its key, file and place in the Ingress', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'fd-tls-'));
    const file = join(dir, 'values.yaml');
    const values = (tls: string) => `configuration:\n  database:\n    host: db.internal\ningress:\n  create: true\n  host: flyte.internal\n${tls}`;
    writeFileSync(file, values('  tls:\n    - secretName: a\n      hosts: [flyte.internal]\n  grpcTls:\n    - secretName: b\n      hosts:\n        - flyte.internal\n        - ""\n'));
    const t = loadTarget({ values: [file], set: [], env: {}, cwd: dir, home: '/nonexistent-home' });
    expect(t.ingress?.tlsEntries).toEqual([
      { key: 'ingress.tls[0]', origin: file, secretName: 'a', hosts: ['flyte.internal'], spec: 'spec.tls[0]' },
      { key: 'ingress.grpcTls[0]', origin: file, secretName: 'b', hosts: ['flyte.internal', ''], grpcOnly: true, spec: 'spec.tls[1]' },
    ]);
    const { result } = await run('ingress.host.valid', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'invalidTlsHost', cause: 'config:ingress.grpcTls[0]' });
    expect(result.message).toBe(`ingress.grpcTls[0].hosts[1] (${file}) "" is empty: the API server refuses the Ingress and \`helm install\` stops ("spec.tls[1].hosts[1]: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")`);
    expect(result.hint).toBe(`remove the empty entry ingress.grpcTls[0].hosts[1] in ${file}, or write the Ingress host there`);
    // the rule host wrong too: one finding, the host first, the TLS entries after it
    writeFileSync(file, values('  tls:\n    - secretName: a\n      hosts: ["Flyte.internal"]\n').replace('host: flyte.internal', 'host: https://flyte.internal'));
    const both = (await run('ingress.host.valid', loadTarget({ values: [file], set: [], env: {}, cwd: dir, home: '/nonexistent-home' }), { phase: 'preflight' })).result;
    expect(both).toMatchObject({ status: 'fail', messageId: 'invalidHost' });
    expect(both.message).toContain('; and ingress.tls[0].hosts[0] (');
    expect(both.hint).toBe(`set ingress.host: flyte.internal in ${file} (the DNS record and the TLS certificate name the same host); set ingress.tls[0].hosts[0]: flyte.internal in ${file}`);
    // healthy: pass, naming the TLS section it judged
    writeFileSync(file, values('  tls:\n    - secretName: a\n      hosts: ["*.internal", "10.0.0.1"]\n'));
    const ok = (await run('ingress.host.valid', loadTarget({ values: [file], set: [], env: {}, cwd: dir, home: '/nonexistent-home' }), { phase: 'preflight' })).result;
    expect(ok).toMatchObject({ status: 'pass', messageId: 'valid' });
    expect(ok.message).toBe(`the Ingress host flyte.internal (${file}: ingress.host) is a name Kubernetes accepts; its 1 TLS section (${file}: ingress.tls[0]) too`);
  });

  it('a render (--manifests): the spec.tls of each Ingress, named by the Ingress', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'fd-tls-m-'));
    const ing = (name: string, path: string, tlsHost: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\n  namespace: flyte\nspec:\n  tls:\n    - secretName: flyte-tls\n      hosts: [${JSON.stringify(tlsHost)}]\n  rules:\n    - host: flyte.internal\n      http:\n        paths:\n          - path: ${path}\n            pathType: ImplementationSpecific\n            backend: {service: {name: flyte-http, port: {number: 8088}}}\n`;
    writeFileSync(join(dir, 'render.yaml'), `${ing('flyte-http', '/console', 'flyte.internal')}---\n${ing('flyte-grpc', '/flyteidl.service.AdminService/*', 'flyte.internal:443')}`);
    const t = loadTarget({ values: [], set: [], env: {}, cwd: dir, home: '/nonexistent-home', manifests: join(dir, 'render.yaml') });
    const { result } = await run('ingress.host.valid', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'invalidTlsHost' });
    expect(result.message).toMatch(/^spec\.tls\[0\]\.hosts\[0\] \(Ingress flyte\/flyte-grpc\) "flyte\.internal:443" has a port/);
    expect(result.hint).toBe('set spec.tls[0].hosts[0]: flyte.internal in Ingress flyte/flyte-grpc');
  });

  it('client.config.endpoint makes no "same host" fix from a host Kubernetes refuses', async () => {
    const t = target('https://flyte.example.com');
    t.client = { ...t.client, endpoint: 'dns:///flyte.example.com', host: 'flyte.example.com', port: 443, configPath: '/home/u/.flyte/config.yaml' };
    const { result } = await run('client.config.endpoint', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
  });
});
