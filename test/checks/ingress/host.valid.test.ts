// ingress.host.valid: the Ingress host of the values, judged by Kubernetes' rules. The rules are held
// to the real API server of the test bed: every host of the corpus is sent as an Ingress rule's host
// (a server-side dry run, nothing is created), and the API server must refuse exactly the hosts
// ingressHostProblem refuses, with the message the finding quotes.
import { describe, expect, it } from 'vitest';
import { ingressHostProblem } from '../../../src/config/k8s-names.js';
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
  it('client.config.endpoint makes no "same host" fix from a host Kubernetes refuses', async () => {
    const t = target('https://flyte.example.com');
    t.client = { ...t.client, endpoint: 'dns:///flyte.example.com', host: 'flyte.example.com', port: 443, configPath: '/home/u/.flyte/config.yaml' };
    const { result } = await run('client.config.endpoint', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
  });
});
