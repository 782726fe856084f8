import { kubeSession, kubectl } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export const CRD = 'flyteworkflows.flyte.lyft.com';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

interface Crd { spec?: { versions?: { name: string; served?: boolean }[] }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }

export default defineCheck({
  id: 'flyte.crd.established',
  title: 'The FlyteWorkflow CRD exists and is Established',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  explain: {
    what: `Reads the CustomResourceDefinition \`${CRD}\` and its Established condition.`,
    why: 'flyteadmin creates one FlyteWorkflow object per execution and propeller watches them; without the CRD every execution fails to launch. flyte-binary creates it at start-up (configuration.propeller.createCRDs), flyte-core installs it from the chart\'s crds/ folder.',
    fix: 'flyte-binary: read the pod log for "failed to create FlyteWorkflow CRD" (RBAC), or set `configuration.propeller.createCRDs: false` and let helm install it. flyte-core: `helm upgrade` does not install CRDs that were deleted; apply the chart\'s crds/flyteworkflow.yaml.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const k = kubectl(ctx.target.kubernetes);
    const chart = ctx.target.chart ?? 'flyte-binary';
    const crd = await s.getOptional<Crd>(`${CRD_PATH}/${CRD}`, ctx.signal);
    if (!crd) {
      const v2 = await s.getOptional<Crd>(`${CRD_PATH}/taskactions.flyte.org`, ctx.signal);
      if (v2) {
        return { status: 'fail', messageId: 'flyte2Installed', message: `${CRD} is missing but taskactions.flyte.org (Flyte 2) exists: this cluster runs Flyte 2, which flyte-doctor (Flyte 1.x) does not check`, details: { crd: CRD, found: 'taskactions.flyte.org' },
          hint: 'install the Flyte 1.x charts from the flyteorg/flyte `master` branch (the `main` branch is Flyte 2), or use Flyte 2 tooling' };
      }
      return { status: 'fail', messageId: 'crdMissing', message: `CRD ${CRD} does not exist; flyteadmin cannot create executions`, details: { crd: CRD, chart },
        hint: chart === 'flyte-binary'
          ? `the binary creates it at start-up: \`${kubectl(ctx.target.kubernetes, ctx.target.kubernetes.namespace)} logs deploy/<fullname> | grep -i crd\` (RBAC on customresourcedefinitions); or set \`configuration.propeller.createCRDs: false\` so helm installs it`
          : `\`kubectl apply -f https://raw.githubusercontent.com/flyteorg/flyte/master/charts/flyte-core/crds/flyteworkflow.yaml\` (helm does not re-create CRDs on upgrade); check with \`${k} get crd ${CRD}\`` };
    }
    const cond = crd.status?.conditions?.find((c) => c.type === 'Established');
    const versions = (crd.spec?.versions ?? []).filter((v) => v.served !== false).map((v) => v.name);
    if (cond?.status !== 'True') {
      const names = crd.status?.conditions?.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      return { status: 'fail', messageId: 'notEstablished', message: `CRD ${CRD} exists but is not Established${cond ? ` (${cond.reason ?? cond.status}: ${cond.message ?? ''})` : ''}${names ? `; names not accepted: ${names.message ?? names.reason}` : ''}`,
        details: { crd: CRD, established: cond?.status ?? null, reason: cond?.reason ?? null, versions },
        hint: `\`${k} get crd ${CRD} -o jsonpath='{.status.conditions}'\`; a NamesAccepted=False conflict means another CRD uses the same names` };
    }
    if (!versions.includes('v1alpha1')) {
      return { status: 'fail', messageId: 'wrongVersion', message: `CRD ${CRD} is Established but does not serve v1alpha1 (serves ${versions.join(', ') || 'nothing'}), which Flyte 1.x uses`, details: { crd: CRD, versions },
        hint: `re-apply the CRD from the chart version you install: \`${k} get crd ${CRD} -o yaml\`` };
    }
    return { status: 'pass', messageId: 'established', message: `CRD ${CRD} is Established (serves ${versions.join(', ')})`, details: { crd: CRD, versions } };
  },
});
