// Targets pointing at the test bed's nginx variants, dnsmasq and admin backend, for the network checks.
import { builtinChecks } from '../../../checks/index.js';
import type { IngressTarget, Target } from '../../../src/config/target.js';
import type { CheckResult, Phase } from '../../../src/engine/types.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

export const bed = () => getTestbed();

export function ingressFor(port: number, over: Partial<IngressTarget> = {}): IngressTarget {
  const b = bed();
  return {
    host: b.nginx.host, httpUrl: `https://${b.nginx.host}:${port}`, grpcAddress: `${b.nginx.host}:${port}`,
    className: 'nginx', annotations: {}, grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' },
    separateGrpcIngress: true, tls: true, valuesKey: 'ingress', enabled: true, ...over,
  };
}

type ClientOver = Partial<Target['client']>;

/** A target whose client dials flyte.test:<port> over TLS with the test CA, through dnsmasq. */
export function bedTarget(port: number, client: ClientOver = {}, extra: Parameters<typeof makeTarget>[0] = {}): Target {
  const b = bed();
  return makeTarget({
    dnsServer: b.dns.server,
    client: { endpoint: `dns:///${b.nginx.host}:${port}`, host: b.nginx.host, port, insecure: false, insecureSkipVerify: false, caCertFilePath: b.caCert, configPath: '/home/u/.flyte/config.yaml', ...client },
    ingress: ingressFor(port),
    ...extra,
  });
}

/** Runs one check (and its dependencies) through the real engine (test/harness/run-check.ts). */
export async function run(id: string, target: Target, opts: { phase?: Phase; timeoutMs?: number; instance?: string } = {}): Promise<{ result: CheckResult; results: CheckResult[] }> {
  const phase = opts.phase ?? (builtinChecks.find((c) => c.id === id)?.phases.includes('verify') ? 'verify' : 'preflight');
  const { result, results } = await runCheck(id, target, { ...opts, phase });
  return { result, results };
}

/** Runs a selection (ids/globs) and returns the results in engine order. */
export async function runMany(only: string[], target: Target, phase: Phase = 'verify', timeoutMs = 10_000): Promise<CheckResult[]> {
  return (await runSelection(target, phase, only, { timeoutMs })).results;
}

/** The first failing result in dependency order: a fail whose dependencies all passed. */
export function firstFail(results: CheckResult[]): CheckResult | undefined {
  const fails = results.filter((r) => r.status === 'fail');
  return fails.find((f) => { const c = builtinChecks.find((x) => x.id === f.id); return (c?.dependsOn ?? []).every((d) => results.find((r) => r.id === d)?.status !== 'fail'); });
}

export function brief(r: CheckResult | undefined): string {
  return r ? `${r.id} ${r.status} ${r.messageId ?? ''}: ${r.message} | ${r.hint ?? ''}` : 'none';
}
