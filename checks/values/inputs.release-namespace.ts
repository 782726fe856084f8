// values.inputs.release-namespace: values that name the namespace `flyte` for a Flyte component while
// the release goes to another namespace (failure mode K6). flyte-core's defaults hard-code it for
// flytepropeller's leader-election lock and for an authorizedUris entry.
import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { Json } from '../../src/engine/types.js';
import { CHART_NAMESPACE, fromChartDefault, type NamespaceLiteral } from '../../src/flyte/release-namespace.js';

const where = (l: NamespaceLiteral) => (fromChartDefault(l) ? `${l.key} (the chart's default)` : `${l.key} (${l.origin})`);
/** A list entry is set by writing the whole list: `authorizedUris[2]` -> `authorizedUris`. */
const listKey = (key: string) => key.replace(/\[\d+\]$/, '');

export default defineCheck({
  id: 'values.inputs.release-namespace',
  title: 'No value names the namespace flyte for a Flyte component when the release goes to another namespace',
  phases: ['preflight', 'verify'],
  messages: {
    chartNamespace: { status: 'skip', summary: 'The release namespace is flyte, the namespace the charts\' defaults name.' },
    none: { status: 'pass', summary: 'No value names the namespace flyte for a Flyte component (lock, endpoint or authorized URI).' },
    lockElsewhere: { status: 'fail', summary: "flytepropeller's leader-election lock is configured in the namespace flyte (flyte-core's default) while the release goes to another namespace: propeller waits for a lock where it may not create one, or shares it with another install." },
    servicesElsewhere: { status: 'fail', summary: 'An endpoint names a Flyte service in the namespace flyte (`flyteadmin.flyte.svc.cluster.local`) while the release goes to another namespace: that name does not resolve, or reaches another install.' },
    urisElsewhere: { status: 'warn', summary: "An authorizedUris entry names flyteadmin in the namespace flyte (flyte-core's default) while the release goes to another namespace: in-cluster clients of other namespaces dial flyteadmin.<namespace>.svc.cluster.local, which flyteadmin does not list." },
  },
  explain: {
    what: 'When the release namespace (-n / FLYTE_DOCTOR_NAMESPACE) is not flyte, lists the values, chart defaults included, that still name the namespace flyte for a Flyte component: flytepropeller\'s `leader-election.lock-config-map.namespace`, endpoints such as `flyteadmin.flyte.svc.cluster.local:81` or `k8s://flyteconnector.flyte:8000`, and `authorizedUris` entries.',
    why: 'flyte-core hard-codes the namespace flyte in its defaults (the PR to template it was closed). Installed elsewhere, flytepropeller looks for its leader-election lock ConfigMap in flyte and never leads (no workflow runs), in-cluster endpoints of flyte do not resolve, and tokens for flyteadmin.<namespace>.svc.cluster.local are refused.',
    fix: 'Set each key named to the release namespace: `configmap.core.propeller.leader-election.lock-config-map.namespace: <namespace>`, the endpoints with `.<namespace>.svc.cluster.local`, and the whole `configmap.adminServer.auth.authorizedUris` list with the entry for `http://flyteadmin.<namespace>.svc.cluster.local:80`.',
  },
  async run(ctx) {
    const t = ctx.target;
    const ns = t.kubernetes.namespace;
    const nsFrom = t.provenance['kubernetes.namespace'] ?? 'default';
    if (ns === CHART_NAMESPACE) return { status: 'skip', messageId: 'chartNamespace', message: `the release namespace is ${CHART_NAMESPACE} (${nsFrom}), the namespace the charts' defaults name` };
    const list = t.namespaceLiterals ?? [];
    if (!list.length) return { status: 'pass', messageId: 'none', message: `no value names the namespace ${CHART_NAMESPACE} for a Flyte component (the release goes to ${ns}, ${nsFrom})` };
    const details: Record<string, Json> = { releaseNamespace: ns, namespaceFrom: nsFrom, values: list.map((l) => ({ key: l.key, origin: l.origin, value: l.value, meant: l.meant, kind: l.kind })) as Json };
    const locks = list.filter((l) => l.kind === 'lock');
    const endpoints = list.filter((l) => l.kind === 'endpoint');
    const uris = list.filter((l) => l.kind === 'uri');
    const fixes = [
      ...locks.map((l) => `${l.key}: ${ns}`),
      ...endpoints.map((l) => `${l.key}: ${JSON.stringify(l.meant)}`),
      ...[...new Set(uris.map((l) => listKey(l.key)))].map((k) => `${k}: the whole list with ${uris.filter((u) => listKey(u.key) === k).map((u) => JSON.stringify(u.meant)).join(', ')} instead of ${uris.filter((u) => listKey(u.key) === k).map((u) => JSON.stringify(u.value)).join(', ')}`),
    ];
    const hint = `set in your values (the release goes to ${ns}): ${fixes.join('; ')}; or install into the namespace ${CHART_NAMESPACE}`;
    const others = (skip: NamespaceLiteral[]) => { const rest = list.filter((l) => !skip.includes(l)); return rest.length ? `; also ${rest.map((l) => `${where(l)} = ${l.value}`).join(', ')}` : ''; };
    if (locks.length) {
      return { status: 'fail', messageId: 'lockElsewhere', cause: cause.config(locks[0]!.key), message: `the release goes to ${ns} (${nsFrom}), but flytepropeller's leader-election lock is in the namespace ${CHART_NAMESPACE}: ${locks.map((l) => `${where(l)} = ${l.value}`).join(', ')}: propeller looks for ConfigMap propeller-leader there and does not lead (no workflow runs) unless it may create it there${others(locks)}`, hint, details };
    }
    if (endpoints.length) {
      return { status: 'fail', messageId: 'servicesElsewhere', cause: cause.config(endpoints[0]!.key), message: `the release goes to ${ns} (${nsFrom}), but ${endpoints.map((l) => `${where(l)} = ${l.value}`).join(', ')} names a Flyte service in the namespace ${CHART_NAMESPACE}: that name does not resolve (or reaches another install)${others(endpoints)}`, hint, details };
    }
    return { status: 'warn', messageId: 'urisElsewhere', cause: cause.config(listKey(uris[0]!.key)), message: `the release goes to ${ns} (${nsFrom}), but ${uris.map((l) => `${where(l)} = ${l.value}`).join(', ')} names flyteadmin in the namespace ${CHART_NAMESPACE}: in-cluster clients of other namespaces (flytepropeller's own Deployment in multi-cluster setups, notebooks) reach flyteadmin.${ns}.svc.cluster.local, which flyteadmin does not list`, hint, details };
  },
});
