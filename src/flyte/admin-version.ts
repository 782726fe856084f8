// The flyteadmin version an endpoint reports (GetVersion / /api/v1/version) against the image the
// release in the target namespace runs. When both are release versions (vX.Y.Z) and differ, the endpoint
// is not served by that release's pods: another (older) install behind the ingress, another cluster's
// DNS name, or a rollout that has not finished. Read in verify only, bounded, and silent when the
// Kubernetes API cannot be read (the endpoint checks do not need it).
import { isObj, kubeSession, probeSignal } from '../clients/kube.js';
import type { CheckContext } from '../engine/types.js';
import { flyteComponents, resolveChartNames, type ChartNames } from './kubernetes.js';

export interface DeployedAdmin { deployment: string; namespace: string; image: string; tag: string; imageKey: string }

/** `1.16.8` from `v1.16.8`, `1.16.8`, `v1.16.8-b2` (undefined for `latest`, a sha, a digest). */
export function releaseVersion(v: string | undefined): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec((v ?? '').trim());
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The tag of an image reference (undefined when it has a digest or no tag). */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const i = last.lastIndexOf(':');
  return i < 0 ? undefined : last.slice(i + 1);
}

/** The image of flyteadmin's container in the release's Deployment (flyte-binary: the binary; flyte-core: flyteadmin). */
export async function deployedAdmin(ctx: CheckContext): Promise<DeployedAdmin | undefined> {
  if (ctx.phase !== 'verify') return undefined;
  // admin.grpc and admin.http both ask: one read per run
  return ctx.shared('flyteadmin-deployed-image', () => readDeployedAdmin(ctx)).catch((e: unknown) => {
    if (ctx.signal.aborted) throw e;
    return undefined; // the first asker's check was cut short: this one goes without
  });
}

async function readDeployedAdmin(ctx: CheckContext): Promise<DeployedAdmin | undefined> {
  const t = ctx.target;
  const chart = t.chart ?? 'flyte-binary';
  const ns = t.kubernetes.namespace;
  const budget = Math.min(2500, ctx.remainingMs() - 1500);
  if (!ns || budget < 300) return undefined;
  try {
    const s = await kubeSession(ctx);
    const signal = probeSignal(ctx.signal, budget);
    const names = await resolveChartNames(s, { chart, kubernetes: { release: t.kubernetes.release, namespace: ns } } as ChartNames, signal);
    const name = flyteComponents(names).find((c) => c.backend === 'flyteadmin')?.deployments[0];
    if (!name) return undefined;
    const d = await s.getOptional<Record<string, unknown>>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}`, signal);
    const spec = d && isObj(d['spec']) && isObj(d['spec']['template']) && isObj(d['spec']['template']['spec']) ? d['spec']['template']['spec'] : undefined;
    const containers = (spec && Array.isArray(spec['containers']) ? spec['containers'] : []).filter(isObj);
    const c = containers.find((x) => x['name'] === (chart === 'flyte-binary' ? 'flyte' : 'flyteadmin')) ?? containers[0];
    const image = c && typeof c['image'] === 'string' ? c['image'] : undefined;
    const tag = image ? imageTag(image) : undefined;
    if (!image || !tag) return undefined;
    return { deployment: name, namespace: ns, image, tag, imageKey: chart === 'flyte-binary' ? 'image.tag' : 'flyteadmin.image.tag' };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined;
  }
}

/** A finding when the reported version and the deployed image's tag are both release versions and differ. */
export async function versionAgainstDeployment(ctx: CheckContext, reported: string, where: string): Promise<{ message: string; hint: string; details: Record<string, string> } | undefined> {
  const got = releaseVersion(reported);
  if (!got) return undefined;
  const dep = await deployedAdmin(ctx);
  const want = releaseVersion(dep?.tag);
  if (!dep || !want || want === got) return undefined;
  const k = `kubectl -n ${dep.namespace}`;
  return {
    message: `flyteadmin at ${where} reports ${reported}, but Deployment ${dep.namespace}/${dep.deployment} of release ${ctx.target.kubernetes.release} runs ${dep.image} (${dep.tag}): the endpoint is answered by another flyteadmin than this release's pods (an older install behind the same ingress or DNS name, another cluster), or a rollout has not finished`,
    hint: `compare \`${k} rollout status deploy/${dep.deployment}\` and \`${k} get pods -o jsonpath='{..image}'\` with what the ingress routes to (\`kubectl get ingress -A\` for the host); if this release is the one to serve it, point the ingress/DNS at it; if the older one is right, the values' \`${dep.imageKey}\` is not what runs`,
    details: { deployment: `${dep.namespace}/${dep.deployment}`, image: dep.image, deployedVersion: dep.tag, reportedVersion: reported },
  };
}
