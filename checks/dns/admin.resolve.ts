import { connect, isIP } from 'node:net';
import { resolveHost } from '../../src/clients/resolve.js';
import { adminEndpoint, isClusterInternal } from '../../src/config/endpoints.js';
import { cause } from '../../src/engine/causes.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { defineCheck } from '../../src/engine/define.js';
import { clientSource } from '../../src/flyte/client.js';
import { fixSetting } from '../../src/flyte/settings.js';
import { closeNames } from '../../src/distance.js';
import { DNS_MESSAGES, dnsOutcome } from './hosts.resolve.js';

/** A TCP connection to address:port: open, refused, no answer in time, no route from here, or another error. */
function tcpState(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port, family: isIP(address) });
    const done = (r: string) => { clearTimeout(t); sock.destroy(); resolve(r); };
    const t = setTimeout(() => done('timeout'), timeoutMs);
    sock.once('connect', () => done('open'));
    sock.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : ['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT'].includes(err.code ?? '') ? 'noRoute' : `error ${err.code ?? err.message}`));
  });
}

export default defineCheck({
  id: 'dns.admin.resolve',
  title: 'The Flyte admin endpoint resolves',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  timeoutMs: 8000,
  messages: DNS_MESSAGES,
  explain: {
    what: 'Resolves the host of `admin.endpoint` (or the ingress gRPC address) through the system resolver, or through `--dns-server` (the message says which). A cluster-internal host (`flyteadmin.flyte.svc.cluster.local`, a single-label Service name) that does not resolve here is reported as not checkable from this machine, and the TLS and client checks of the endpoint are skipped.',
    why: 'flytectl and pyflyte dial this name; NXDOMAIN, a CNAME to a deleted load balancer, SERVFAIL, a resolver timeout and a name with only AAAA records are different problems with different owners.',
    fix: 'NXDOMAIN: create the record pointing at the ingress load balancer. Dangling CNAME: point it at the current load balancer. SERVFAIL: fix the zone/resolver. Timeout: the resolver is unreachable (VPN split DNS). A cluster-internal name: run with --in-cluster.',
  },
  async run(ctx) {
    const e = adminEndpoint(ctx.target)!;
    const from = e.source === 'admin.endpoint' ? `admin endpoint, ${clientSource(ctx.target, 'endpoint')}` : `admin endpoint (${e.source})`;
    const out = await dnsOutcome(ctx, e.host, from, probeTimeout(ctx));
    // A name that does not resolve, one typo away from the Ingress host the values name: say so.
    const ingressHost = ctx.target.ingress?.host;
    if ((out.messageId === 'nxdomain' || out.messageId === 'dnsRefused' || out.messageId === 'noAddress' || out.messageId === 'invalidName')
      && ingressHost && ingressHost.toLowerCase() !== e.host.toLowerCase() && closeNames(e.host, [ingressHost]).length) {
      const fixed = e.source === 'admin.endpoint' && ctx.target.client.endpoint ? ctx.target.client.endpoint.replace(e.host, ingressHost) : undefined;
      return {
        ...out,
        message: `${out.message}; the values' Ingress host is ${ingressHost}, one typo away`,
        hint: `${fixed ? `${fixSetting(ctx.target, 'client.endpoint', 'admin.endpoint', fixed) ?? `set admin.endpoint: ${fixed}`} if ${ingressHost} is the host meant; else ` : `use ${ingressHost} if that is the host meant; else `}${out.hint ?? ''}`,
        details: { ...(out.details ?? {}), ingressHost },
      } as typeof out;
    }
    // Several addresses (DNS round robin): a client takes them in order, so a dead member costs every
    // client given it first a failed attempt (gRPC waits out an unanswered one). Each one is tried on the port.
    const addrs = ((out.details ?? {}) as { addresses?: string[] }).addresses ?? [];
    // (localhost: 127.0.0.1 and ::1, a server on one of them; the other refuses at once, costing nothing)
    if ((out.messageId === 'resolved' || out.messageId === 'resolvedPrivate') && addrs.length > 1 && !/^(.+\.)?localhost\.?$/i.test(e.host)) {
      const budget = Math.min(1500, Math.max(300, ctx.remainingMs() / 2));
      const tried = await Promise.all(addrs.map(async (a) => ({ a, r: await tcpState(a, e.port, budget) })));
      const open = tried.filter((x) => x.r === 'open').map((x) => x.a);
      const dead = tried.filter((x) => (x.r === 'refused' && x.a !== '::1') || x.r === 'timeout' || x.r.startsWith('error'));
      const noRoute = tried.filter((x) => x.r === 'noRoute').map((x) => x.a);
      if (open.length && dead.length) {
        const hp = (a: string) => (a.includes(':') ? `[${a}]:${e.port}` : `${a}:${e.port}`);
        const why = (r: string) => (r === 'refused' ? 'refuses connections (ECONNREFUSED)' : r === 'timeout' ? `does not answer within ${(budget / 1000).toFixed(1)} s` : `fails (${r.slice(6)})`);
        return {
          status: 'warn', messageId: 'deadMember', cause: cause.dns(e.host),
          message: `${e.host} (${from}) resolves to ${addrs.join(', ')}, but ${dead.map((x) => `${hp(x.a)} ${why(x.r)}`).join('; ')} while ${open.map(hp).join(', ')} accept${open.length === 1 ? 's' : ''}: a client given a dead address first (DNS round robin) connects only after that attempt fails; flytectl and pyflyte (gRPC pick_first) try the addresses in order and wait out an unanswered one (gRPC's connect timeout is 20 s), other clients may fail outright${noRoute.length ? `; ${noRoute.join(', ')} has no route from this machine (not judged)` : ''}`,
          hint: `remove ${dead.map((x) => x.a).join(', ')} from the DNS record${dead.length === 1 ? '' : 's'} of ${e.host} (or bring back the load-balancer node behind ${dead.length === 1 ? 'it' : 'them'}); \`dig ${e.host}\` lists the records`,
          details: { ...(out.details ?? {}), port: e.port, open, dead: dead.map((x) => ({ address: x.a, result: x.r })), ...(noRoute.length ? { noRoute } : {}) },
        };
      }
    }
    // It resolves, but is not the Ingress host: a wildcard record (*.zone) answers every name, typos
    // included. A name nobody created answering the same addresses says the answer proves nothing.
    if ((out.messageId === 'resolved' || out.messageId === 'resolvedPrivate') && e.source === 'admin.endpoint' && ingressHost
      && ingressHost.toLowerCase() !== e.host.toLowerCase().replace(/\.$/, '') && !ingressHost.startsWith('*.') && !isIP(e.host) && !isClusterInternal(e.host)) {
      const labels = e.host.replace(/\.$/, '').split('.');
      const parent = labels.slice(1).join('.');
      if (labels.length >= 3) {
        const probe = `flyte-doctor-${Math.random().toString(36).slice(2, 10)}.${parent}`;
        const got = ((out.details ?? {}) as { addresses?: string[] }).addresses ?? [];
        let wild: string[] | undefined;
        try { wild = (await resolveHost(probe, ctx.target.dnsServer, Math.min(1500, Math.max(300, ctx.remainingMs() - 200)))).addresses; } catch { wild = undefined; }
        if (wild && got.length && got.every((a) => wild!.includes(a))) {
          const typo = closeNames(e.host, [ingressHost]).length > 0;
          // another name on purpose (client.config.endpoint weighs the two hosts): the answer is only noted
          if (!typo) return { ...out, message: `${out.message}; a wildcard record *.${parent} answers every name under it (${probe} resolves to ${wild.join(', ')} too), so this says nothing about the name being the right one`, details: { ...(out.details ?? {}), wildcardProbe: probe, wildcardAddresses: wild } } as typeof out;
          const fixed = ctx.target.client.endpoint ? ctx.target.client.endpoint.replace(e.host, ingressHost) : undefined;
          const setClient = fixed ? fixSetting(ctx.target, 'client.endpoint', 'admin.endpoint', fixed) ?? `set admin.endpoint: ${fixed}` : `set admin.endpoint: dns:///${ingressHost}`;
          return {
            status: 'warn', messageId: 'wildcardOnly', cause: cause.hostMismatch(e.host, ingressHost),
            message: `${e.host} (${from}) resolves to ${got.join(', ')} as every name under ${parent} does: ${probe}, a name nobody created, resolves to ${wild.join(', ')} too (a wildcard record *.${parent}). The values' Ingress host is ${ingressHost}${typo ? ', one typo away' : ''}: the Ingress answers only for ${ingressHost}, so requests for ${e.host} get the controller's default backend (HTTP 404, gRPC UNIMPLEMENTED) and a certificate for another name`,
            hint: `${setClient} if ${ingressHost} is the host meant; if ${e.host} is, give it its own DNS record and make it the Ingress host`,
            details: { ...(out.details ?? {}), ingressHost, wildcardProbe: probe, wildcardAddresses: wild },
          };
        }
      }
    }
    return out;
  },
});
