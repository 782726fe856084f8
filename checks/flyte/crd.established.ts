import { isObj, kubectl } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

export const CRD = 'flyteworkflows.flyte.lyft.com';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** flyte-core renders the CRD as a template (templates/propeller/crds/flyteworkflow.yaml) when flytepropeller.createCRDs is true. */
export const CORE_CRD_FIX = 'flyte-core renders the CRD when flytepropeller.createCRDs is true (the default), so `helm upgrade` with it applies the chart\'s own; with createCRDs: false, apply it yourself: `helm template <release> flyteorg/flyte-core --set flytepropeller.createCRDs=true --show-only templates/propeller/crds/flyteworkflow.yaml | kubectl apply -f -`';

export default defineCheck({
  id: 'flyte.crd.established',
  title: 'The FlyteWorkflow CRD exists and is Established',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    established: { status: 'pass', summary: 'The CRD is Established and serves v1alpha1.' },
    crdMissing: { status: 'fail', summary: 'The FlyteWorkflow CRD does not exist.' },
    flyte2Installed: { status: 'fail', summary: 'The cluster has Flyte 2\'s CRD instead (taskactions.flyte.org).' },
    namesNotAccepted: { status: 'fail', summary: 'The CRD\'s names conflict with another CRD (NamesAccepted=False).' },
    notEstablished: { status: 'fail', summary: 'The CRD exists but is not Established; its condition is named.' },
    terminating: { status: 'fail', summary: 'The CRD is being deleted (its FlyteWorkflow objects are being removed).' },
    wrongVersion: { status: 'fail', summary: 'The CRD does not serve v1alpha1, the version Flyte 1.x uses.' },
    ...API_MESSAGES,
  },
  explain: {
    what: `Reads the CustomResourceDefinition \`${CRD}\` and its conditions (Established, NamesAccepted, Terminating) and served versions.`,
    why: 'flyteadmin creates one FlyteWorkflow object per execution and propeller watches them; without the CRD every execution fails to launch. flyte-binary creates it at start-up (configuration.propeller.createCRDs), flyte-core installs it from the chart\'s crds/ folder.',
    fix: 'flyte-binary: read the pod log for "failed to create FlyteWorkflow CRD" (RBAC), or set `configuration.propeller.createCRDs: false` and let helm install it. flyte-core: the chart renders it (templates/propeller/crds/flyteworkflow.yaml) while `flytepropeller.createCRDs` is true, so `helm upgrade` applies it; with createCRDs false, render that template and apply it.',
  },
  async run(ctx) {
    const k = kubectl(ctx.target.kubernetes);
    const chart = ctx.target.chart ?? 'flyte-binary';
    const key = cause.object('customresourcedefinition', undefined, CRD);
    return withKube(ctx, `the CRD ${CRD}`, async (s, signal) => {
      const crd = await s.getOptional<Record<string, unknown>>(`${CRD_PATH}/${CRD}`, signal);
      if (!crd) {
        const v2 = await s.getOptional<Record<string, unknown>>(`${CRD_PATH}/taskactions.flyte.org`, signal);
        if (v2) {
          return { status: 'fail' as const, messageId: 'flyte2Installed' as const, cause: key, message: `${CRD} is missing but taskactions.flyte.org (Flyte 2) exists: this cluster runs Flyte 2, which flyte-doctor (Flyte 1.x) does not check`, details: { crd: CRD, found: 'taskactions.flyte.org' },
            hint: 'install the Flyte 1.x charts from the flyteorg/flyte `master` branch (the `main` branch is Flyte 2), or use Flyte 2 tooling' };
        }
        // flyte-binary creates the CRD at start-up: without an install in the namespace, that is the cause.
        const ns = encodeURIComponent(ctx.target.kubernetes.namespace);
        const installed = await (chart === 'flyte-binary'
          ? s.list(`/apis/apps/v1/namespaces/${ns}/deployments`, signal, { labelSelector: 'app.kubernetes.io/name=flyte-binary', maxItems: 1 }).then((l) => l.length > 0)
          : s.getOptional(`/apis/apps/v1/namespaces/${ns}/deployments/flyteadmin`, signal).then((d) => !!d)).catch(() => true);
        return { status: 'fail' as const, messageId: 'crdMissing' as const, cause: installed ? key : cause.object('flyte-install', ctx.target.kubernetes.namespace, chart),
          message: `CRD ${CRD} does not exist; flyteadmin cannot create executions${installed ? '' : ` (and Flyte is not installed in namespace ${ctx.target.kubernetes.namespace})`}`, details: { crd: CRD, chart, installedInNamespace: installed },
          hint: chart === 'flyte-binary'
            ? `the binary creates it at start-up: \`${kubectl(ctx.target.kubernetes, ctx.target.kubernetes.namespace)} logs deploy/<fullname> | grep -i crd\` (RBAC on customresourcedefinitions); or set \`configuration.propeller.createCRDs: false\` so helm installs it`
            : `${CORE_CRD_FIX}; check with \`${k} get crd ${CRD}\`` };
      }
      const st = isObj(crd['status']) ? crd['status'] : {};
      const spec = isObj(crd['spec']) ? crd['spec'] : {};
      const md = isObj(crd['metadata']) ? crd['metadata'] : {};
      const conds = (Array.isArray(st['conditions']) ? st['conditions'] : []).filter(isObj);
      const cond = (type: string) => conds.find((c) => c['type'] === type);
      const text = (c: Record<string, any>) => `${c['type']}=${c['status']}${typeof c['reason'] === 'string' ? ` (${c['reason']}${typeof c['message'] === 'string' && c['message'] ? `: ${c['message']}` : ''})` : ''}`;
      const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).filter(isObj).filter((v) => v['served'] !== false && typeof v['name'] === 'string').map((v) => v['name'] as string);
      const details = { crd: CRD, versions, conditions: conds.map(text) };
      const term = cond('Terminating');
      if (typeof md['deletionTimestamp'] === 'string' || term?.['status'] === 'True') {
        return { status: 'fail' as const, messageId: 'terminating' as const, cause: key, message: `CRD ${CRD} is being deleted (since ${typeof md['deletionTimestamp'] === 'string' ? md['deletionTimestamp'] : '?'})${term ? `: ${text(term)}` : ''}; every FlyteWorkflow object goes with it`, details,
          hint: `FlyteWorkflow objects with finalizers block the deletion until propeller removes them: \`${k} get flyteworkflows -A\`; once deleted, re-create the CRD (${chart === 'flyte-binary' ? 'restart the binary, which creates it' : 'helm upgrade with flytepropeller.createCRDs: true renders it'})` };
      }
      const names = cond('NamesAccepted');
      if (names && names['status'] === 'False') {
        return { status: 'fail' as const, messageId: 'namesNotAccepted' as const, cause: key, message: `CRD ${CRD} is not served: ${text(names)}`, details,
          hint: `another CRD claims the same plural/kind in flyte.lyft.com: \`${k} get crd -o custom-columns=NAME:.metadata.name,GROUP:.spec.group,PLURAL:.spec.names.plural | grep flyte\`; delete the conflicting one` };
      }
      const est = cond('Established');
      if (est?.['status'] !== 'True') {
        return { status: 'fail' as const, messageId: 'notEstablished' as const, cause: key, message: `CRD ${CRD} exists but is not Established (${est ? text(est) : 'no Established condition yet'})`, details,
          hint: `\`${k} get crd ${CRD} -o jsonpath='{.status.conditions}'\` shows the conditions; the apiextensions controller of the API server sets Established within seconds, so a lasting False points at the API server (\`${k} get --raw /readyz?verbose\`)` };
      }
      if (!versions.includes('v1alpha1')) {
        return { status: 'fail' as const, messageId: 'wrongVersion' as const, cause: key, message: `CRD ${CRD} is Established but does not serve v1alpha1 (serves ${versions.join(', ') || 'nothing'}), which Flyte 1.x uses`, details,
          hint: chart === 'flyte-binary'
            ? `the binary creates the CRD at start-up only when it is missing (configuration.propeller.createCRDs), so an older one stays: replace it with the chart's (\`helm template <release> flyteorg/flyte-binary --set configuration.propeller.createCRDs=false --show-only templates/crds/flyteworkflow.yaml | kubectl apply -f -\`); compare with \`${k} get crd ${CRD} -o yaml\``
            : `${CORE_CRD_FIX}; compare with \`${k} get crd ${CRD} -o yaml\`` };
      }
      return { status: 'pass' as const, messageId: 'established' as const, message: `CRD ${CRD} is Established (serves ${versions.join(', ')})`, details };
    });
  },
});
