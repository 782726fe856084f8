import { isObj, kubectl } from '../../src/clients/kube.js';
import { API_MESSAGES, withKube } from './_support.js';
import { defineCheck } from '../../src/engine/define.js';

/**
 * Lowest version the charts can install on: both charts render Ingress as networking.k8s.io/v1
 * unconditionally (served since 1.19) and the webhook registers admissionregistration.k8s.io/v1
 * (1.16). Neither Chart.yaml sets kubeVersion (facts §H).
 */
export const MIN_MINOR = 19;

/**
 * Upstream Kubernetes support, dated. Release dates: the v0.<minor>.0 tags of k8s.io/api on
 * proxy.golang.org (checked 2026-11-23: 1.35 2025-12-17, 1.36 2026-04-22, 1.37 2026-08-26). End of
 * life: kubernetes.io/releases (patch releases for ~14 months: 12 months plus 2 months of maintenance,
 * ending on the 28th); the dates for 1.35-1.37 follow that rule and are expected, not yet past.
 * Upstream therefore supports the three newest minors; on 2026-11-23 that is 1.35-1.37.
 * Update this table when a minor is released.
 */
export const UPSTREAM: readonly { minor: number; released: string; endOfLife: string }[] = [
  { minor: 28, released: '2023-08-15', endOfLife: '2024-10-28' },
  { minor: 29, released: '2023-12-13', endOfLife: '2025-02-28' },
  { minor: 30, released: '2024-04-17', endOfLife: '2025-06-28' },
  { minor: 31, released: '2024-08-13', endOfLife: '2025-10-28' },
  { minor: 32, released: '2024-12-11', endOfLife: '2026-02-28' },
  { minor: 33, released: '2025-04-23', endOfLife: '2026-06-28' },
  { minor: 34, released: '2025-08-27', endOfLife: '2026-10-27' },
  { minor: 35, released: '2025-12-17', endOfLife: '2027-02-28' },
  { minor: 36, released: '2026-04-22', endOfLife: '2027-06-28' },
  { minor: 37, released: '2026-08-26', endOfLife: '2027-10-28' },
];

export function parseGitVersion(v: string): { major: number; minor: number; patch: number } | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : undefined;
}

export type Support =
  | { kind: 'below-floor' }
  | { kind: 'supported'; range: string }
  | { kind: 'out-of-support'; range: string; endedOn?: string }
  | { kind: 'newer-than-table'; range: string };

/** Upstream-supported minors on `today` (ISO date), e.g. [35, 36, 37]. */
export function supportedMinors(today: string): number[] {
  return UPSTREAM.filter((r) => r.released <= today && today < r.endOfLife).map((r) => r.minor);
}

export function classify(minor: number, today: string): Support {
  if (minor < MIN_MINOR) return { kind: 'below-floor' };
  const sup = supportedMinors(today);
  const range = sup.length ? `1.${Math.min(...sup)}-1.${Math.max(...sup)}` : 'unknown';
  const newest = Math.max(...UPSTREAM.map((r) => r.minor));
  if (minor > newest) return { kind: 'newer-than-table', range };
  if (sup.includes(minor)) return { kind: 'supported', range };
  const row = UPSTREAM.find((r) => r.minor === minor);
  return { kind: 'out-of-support', range, ...(row && row.endOfLife <= today ? { endedOn: row.endOfLife } : {}) };
}

export default defineCheck({
  id: 'kubernetes.version.supported',
  title: 'The Kubernetes version is one the charts install on and upstream still supports',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    supported: { status: 'pass', summary: 'The version is one the charts install on and upstream Kubernetes still patches.' },
    newerThanKnown: { status: 'pass', summary: 'The version is newer than the support table flyte-doctor knows.' },
    outOfUpstreamSupport: { status: 'warn', summary: 'Upstream Kubernetes no longer patches this minor version.' },
    belowMinimum: { status: 'fail', summary: 'The version is below what the charts need (Ingress networking.k8s.io/v1, 1.19).' },
    unrecognised: { status: 'warn', summary: 'The server\'s version is not a Kubernetes 1.x version (e.g. v0.0.0-master of a source build, or no version at all): it cannot be judged.' },
    ...API_MESSAGES,
  },
  explain: {
    what: `Reads the server version (\`GET /version\`). Below 1.${MIN_MINOR} fails: both charts render Ingress as \`networking.k8s.io/v1\`. A minor that upstream Kubernetes no longer patches (upstream supports the three newest minors) is a warning. A version that is not Kubernetes 1.x (a source build answers v0.0.0-master) is said as unrecognised, not judged.`,
    why: 'An API the chart uses that the server does not serve makes `helm install` fail with "no matches for kind"; an unsupported version gets no security fixes. Flyte CI validates the rendered manifests against 1.27-1.29 only.',
    fix: 'Upgrade the cluster (managed: the provider\'s upgrade command, e.g. `aws eks update-cluster-version`, `gcloud container clusters upgrade`, `az aks upgrade`).',
  },
  async run(ctx) {
    return withKube(ctx, 'the server version', async (s, signal) => {
      const raw = await s.get<unknown>('/version', signal);
      const v: Record<string, unknown> = isObj(raw) ? raw : {};
      const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
      const git = str(v['gitVersion']) ?? (str(v['major']) && str(v['minor']) ? `v${str(v['major'])}.${str(v['minor'])}` : undefined);
      const parsed = (git ? parseGitVersion(git) : undefined) ?? (str(v['major']) && str(v['minor']) ? { major: Number(v['major']), minor: parseInt(str(v['minor'])!, 10), patch: 0 } : undefined);
      // A source build without version stamping answers v0.0.0-master+$Format:%H$ (major/minor ""), a
      // proxy or an odd distribution something else: not judged as "below 1.19", said as unrecognised.
      if (!git || !parsed || Number.isNaN(parsed.minor) || parsed.major !== 1) {
        const evidence = s.scrub(String(JSON.stringify(raw) ?? raw).slice(0, 160));
        return { status: 'warn' as const, messageId: 'unrecognised' as const, message: `unrecognised: GET /version answered ${evidence}, which is not a Kubernetes 1.x version; whether the Flyte charts (1.${MIN_MINOR}+) install on it cannot be judged from here`,
          details: { gitVersion: git ?? null, major: str(v['major']) ?? null, minor: str(v['minor']) ?? null, minimum: `1.${MIN_MINOR}` },
          hint: `\`${kubectl(ctx.target.kubernetes)} version\` and the provider's console show the real version; a source build of Kubernetes without version stamping reports v0.0.0: check that the server serves networking.k8s.io/v1 (\`${kubectl(ctx.target.kubernetes)} api-resources --api-group=networking.k8s.io\`)` };
      }
      const today = new Date(ctx.clock.now()).toISOString().slice(0, 10);
      const c = classify(parsed.minor, today);
      const details = { gitVersion: git, minor: parsed.minor, minimum: `1.${MIN_MINOR}`, checkedOn: today, flyteCiValidated: '1.27-1.29', ...('range' in c ? { upstreamSupported: c.range } : {}) };
      const upgrade = `upgrade the cluster to a supported minor (managed: \`aws eks update-cluster-version\`, \`gcloud container clusters upgrade\`, \`az aks upgrade\`); check with \`${kubectl(ctx.target.kubernetes)} version\``;
      switch (c.kind) {
        case 'below-floor':
          return { status: 'fail' as const, messageId: 'belowMinimum' as const, message: `Kubernetes ${git} is below 1.${MIN_MINOR}, the minimum the Flyte charts need (Ingress networking.k8s.io/v1)`, details, hint: upgrade };
        case 'out-of-support':
          return { status: 'warn' as const, messageId: 'outOfUpstreamSupport' as const, message: `Kubernetes ${git} is out of upstream support${c.endedOn ? ` since ${c.endedOn}` : ''}; upstream supports ${c.range} (as of ${today}); the Flyte charts need 1.${MIN_MINOR}+`, details, hint: upgrade };
        case 'newer-than-table':
          return { status: 'pass' as const, messageId: 'newerThanKnown' as const, message: `Kubernetes ${git} is newer than the versions flyte-doctor knows (upstream supports ${c.range} as of ${today}); the Flyte charts need 1.${MIN_MINOR}+`, details };
        case 'supported':
          return { status: 'pass' as const, messageId: 'supported' as const, message: `Kubernetes ${git} is supported (upstream supports ${c.range} as of ${today}; the Flyte charts need 1.${MIN_MINOR}+)`, details };
      }
    });
  },
});
