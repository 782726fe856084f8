// dns.ingress.address against the test bed's kube-apiserver and dnsmasq: Ingress objects in a
// namespace of their own, with their status written as an ingress controller would (there is no
// controller), and flyte.test resolved through dnsmasq (127.0.0.1).
import { createSocket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';
import { removeNamespace } from '../../infra/flyte-install.js';

const NS = 'fd-ingress-address';
const ING = '/apis/networking.k8s.io/v1/namespaces/' + NS + '/ingresses';
const tb = () => getTestbed();
const api = () => ({ kube: { server: tb().kube.server, caFile: tb().kube.caFile }, token: tb().kube.tokens.admin });

function target(host: string, context = 'admin', dnsServer = tb().dns.server): Target {
  return makeTarget({
    chart: 'flyte-binary', dnsServer,
    kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context, namespace: NS, release: 'flyte-backend' },
    ingress: { host, httpUrl: `https://${host}`, enabled: true, annotations: {}, grpcAnnotations: {}, separateGrpcIngress: true, tls: true, valuesKey: 'ingress' },
  } as never);
}

async function ingress(name: string, host: string | undefined, lb: { ip?: string; hostname?: string }[]): Promise<void> {
  const { kube, token } = api();
  await kubeCall(kube, token, 'POST', ING, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name },
    spec: { rules: [{ ...(host ? { host } : {}), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'flyte-backend-flyte-binary-http', port: { number: 8088 } } } }] } }] } });
  if (lb.length) {
    const obj = await kubeCall(kube, token, 'GET', `${ING}/${name}`);
    await kubeCall(kube, token, 'PUT', `${ING}/${name}/status`, { ...obj, status: { loadBalancer: { ingress: lb } } });
  }
}

/** A tiny DNS server of the test's own: answers A queries from `zone` (name -> addresses), NXDOMAIN otherwise. */
async function startDns(zone: Record<string, string[]>): Promise<{ server: string; stop(): Promise<void> }> {
  const sock = createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    let i = 12; const labels: string[] = [];
    while (q[i]) { labels.push(q.subarray(i + 1, i + 1 + q[i]!).toString()); i += q[i]! + 1; }
    const qEnd = i + 5;
    const qtype = q.readUInt16BE(i + 1);
    const addrs = qtype === 1 ? zone[labels.join('.').toLowerCase()] ?? [] : [];
    const known = labels.join('.').toLowerCase() in zone;
    const head = Buffer.alloc(12);
    q.copy(head, 0, 0, 2);
    head.writeUInt16BE(0x8180 | (known ? 0 : 3), 2); head.writeUInt16BE(1, 4); head.writeUInt16BE(addrs.length, 6);
    const answers = addrs.map((a) => { const rr = Buffer.alloc(16); rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(1, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(30, 6); rr.writeUInt16BE(4, 10); a.split('.').forEach((o, k) => rr.writeUInt8(Number(o), 12 + k)); return rr; });
    sock.send(Buffer.concat([head, q.subarray(12, qEnd), ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { server: `127.0.0.1:${sock.address().port}`, stop: () => new Promise<void>((r) => sock.close(() => r())) };
}

describe('dns.ingress.address (verify)', () => {
  beforeAll(async () => {
    const { kube, token } = api();
    await createIfMissing(kube, token, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  afterAll(async () => { await removeNamespace(tb(), NS); });
  afterEach(async () => {
    const { kube, token } = api();
    await kubeCall(kube, token, 'DELETE', ING, undefined, undefined, (s) => s < 300 || s === 404); // deletecollection
  });

  it('passes when the host resolves to the Ingress load-balancer IP', async () => {
    await ingress('flyte-grpc', 'flyte.test', [{ ip: '127.0.0.1' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result.status, result.message).toBe('pass');
    expect(result.message).toBe('flyte.test resolves to 127.0.0.1, the address of Ingress flyte-grpc (127.0.0.1)');
  });

  it('passes when the load balancer has a hostname (ALB) that resolves to the same address', async () => {
    await ingress('flyte-alb', 'flyte.test', [{ hostname: 'db.flyte.test' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result.status, result.message).toBe('pass');
  });

  it('a rule without a host serves every host (as in the flyte-core render)', async () => {
    await ingress('flyte-core', undefined, [{ ip: '127.0.0.1' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result.status, result.message).toBe('pass');
    expect(result.details?.ingresses).toEqual(['flyte-core']);
  });

  it('fails when the DNS record points elsewhere than the Ingress address, naming both', async () => {
    await ingress('flyte-grpc', 'flyte.test', [{ ip: '10.20.30.40' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'addressMismatch' });
    expect(result.message).toBe('flyte.test resolves to 127.0.0.1, but its Ingress flyte-grpc has address 10.20.30.40: the DNS record points elsewhere');
    expect(result.hint).toContain('update the DNS record of flyte.test to 10.20.30.40');
  });

  it('fails when the host does not resolve at all', async () => {
    await ingress('flyte-grpc', 'missing.test', [{ ip: '127.0.0.1' }]);
    const { result } = await runCheck('dns.ingress.address', target('missing.test'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'noResolve' });
    expect(result.hint).toBe('create the DNS record missing.test → 127.0.0.1');
  });

  it('warns when the Ingress has no load-balancer address yet', async () => {
    await ingress('flyte-grpc', 'flyte.test', []);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'warn', messageId: 'notProvisioned' });
    expect(result.hint).toContain('describe ingress flyte-grpc');
  });

  it('warns when no Ingress serves the host: the values key when the values do not render one, the namespace/release when they do', async () => {
    await ingress('other', 'other.flyte.test', [{ ip: '127.0.0.1' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'warn', messageId: 'noIngress' });
    expect(result.hint).toContain('the values already render an Ingress for flyte.test, but none is in namespace fd-ingress-address');
    expect(result.hint).not.toContain('ingress.create: true');
    const off = target('flyte.test');
    off.ingress!.enabled = false;
    off.provenance['ingress.enabled'] = 'values.yaml: ingress.create';
    const r2 = (await runCheck('dns.ingress.address', off, { phase: 'verify' })).result;
    expect(r2.hint).toContain('set ingress.create: true in values.yaml');
  });

  it('a user who may not list Ingresses gets a warning with the command to run as admin (could not check is not fail)', async () => {
    await ingress('flyte-grpc', 'flyte.test', [{ ip: '127.0.0.1' }]);
    const { result } = await runCheck('dns.ingress.address', target('flyte.test', 'restricted'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'warn', messageId: 'cannotList' });
    expect(result.hint).toContain('get ingress -o wide');
  });

  it('is blocked, not failed, when the API server does not answer', async () => {
    const { result } = await runCheck('dns.ingress.address', target('flyte.test', 'stalled'), { phase: 'verify', timeoutMs: 1500 });
    expect(result).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.api.reachable' });
  });

  it('one stale address among several is a failure naming the stale one', async () => {
    const dns = await startDns({ 'multi.test': ['127.0.0.1', '10.9.9.9'] });
    try {
      await ingress('flyte-grpc', 'multi.test', [{ ip: '127.0.0.1' }]);
      const { result } = await runCheck('dns.ingress.address', target('multi.test', 'admin', dns.server), { phase: 'verify' });
      expect(result).toMatchObject({ status: 'fail', messageId: 'staleAddress', cause: 'dns:multi.test' });
      expect(result.message).toBe('multi.test resolves to 127.0.0.1, 10.9.9.9: 10.9.9.9 is not an address of its Ingress flyte-grpc (127.0.0.1); clients that get it reach something else some of the time');
      expect(result.hint).toBe('remove the stale record multi.test → 10.9.9.9 from the DNS zone (external-dns / your DNS provider), keeping 127.0.0.1');
      expect(result.details!.stale).toEqual(['10.9.9.9']);
    } finally { await dns.stop(); }
  });

  it('behind a load-balancer host name, an extra address is a warning (its addresses rotate): make the host a CNAME', async () => {
    const dns = await startDns({ 'multi.test': ['127.0.0.1', '10.9.9.9'], 'lb.multi.test': ['127.0.0.1'] });
    try {
      await ingress('flyte-alb', 'multi.test', [{ hostname: 'lb.multi.test' }]);
      const { result } = await runCheck('dns.ingress.address', target('multi.test', 'admin', dns.server), { phase: 'verify' });
      expect(result).toMatchObject({ status: 'warn', messageId: 'rotatingAddress' });
      expect(result.hint).toContain('CNAME');
    } finally { await dns.stop(); }
  });
});
