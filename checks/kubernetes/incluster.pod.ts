import { defineCheck } from '../../src/engine/define.js';

/**
 * The `--in-cluster` run's own result. The launcher (src/incluster/launcher.ts) runs beside the local
 * checks, bounded by --in-cluster-timeout rather than --timeout (a pod takes longer than a probe), and
 * src/main.ts puts its outcome here; run() only answers when there is nothing to launch.
 */
export default defineCheck({
  id: 'kubernetes.incluster.pod',
  title: 'The in-cluster run (--in-cluster) ran in a pod as Flyte\'s service account and reported back',
  phases: ['preflight', 'verify'],
  messages: {
    notRequested: { status: 'skip', summary: 'Runs only with --in-cluster.' },
    launching: { status: 'skip', summary: 'Placeholder while the launcher runs (replaced by its outcome).' },
    ran: { status: 'pass', summary: 'The pod ran the checks as the service account and its report was merged (each result says where it ran).' },
    serviceAccountMissing: { status: 'fail', summary: 'The service account the pod should run as does not exist in the namespace.' },
    namespaceMissing: { status: 'fail', summary: 'The namespace the pod should run in does not exist.' },
    forbidden: { status: 'fail', summary: 'Creating the run\'s objects was refused (HTTP 403): the launcher\'s permissions are missing (see kubernetes.incluster.rbac).' },
    apiFailed: { status: 'error', summary: 'The API server failed a request of the launcher (not a permission problem).' },
    kubeconfig: { status: 'error', summary: 'No usable kubeconfig to launch the pod with.' },
    imagePull: { status: 'fail', summary: 'The pod cannot pull the flyte-doctor image (ImagePullBackOff, ErrImagePull, InvalidImageName...): push it and pass --in-cluster-image.' },
    containerConfig: { status: 'fail', summary: 'The container cannot be created or keeps crashing (CreateContainerConfigError, CrashLoopBackOff...).' },
    unschedulable: { status: 'fail', summary: 'The pod was not scheduled (no node fits: resources, taints, node selectors).' },
    podFailed: { status: 'fail', summary: 'The pod failed before reporting.' },
    reportWriteDenied: { status: 'fail', summary: 'The pod ran but its service account may not write the report ConfigMap (HTTP 403).' },
    noReport: { status: 'fail', summary: 'The pod ended without writing its report; its termination message is shown.' },
    badReport: { status: 'error', summary: 'The report the pod wrote cannot be read (another flyte-doctor version in the image?).' },
    timeout: { status: 'error', summary: 'The pod did not finish within --in-cluster-timeout (or no pod was created for the Job).' },
    interrupted: { status: 'error', summary: 'The run was interrupted (Ctrl-C, SIGTERM, SIGHUP); the run\'s objects were removed.' },
  },
  explain: {
    what: 'With `--in-cluster`, flyte-doctor creates in the Flyte namespace (or the `<project>-<domain>` namespace of `--project-domain`) a ConfigMap and a Secret with the inputs, a report ConfigMap with a Role/RoleBinding that lets only the pod write it, and a Job running the same checks under the service account Flyte uses (`--service-account`; default: flyte-binary\'s account, flyte-core\'s flyteadmin, the project\'s `default`). It follows the pod, reads its report and merges it: every result says where it ran (`local` or `in-cluster/<namespace>/<serviceaccount>`). Everything it created is deleted at the end, also on failure, timeout and Ctrl-C.',
    why: 'Cluster-internal database and object-store names, network policies and workload identity (IRSA, GKE Workload Identity, Azure Workload Identity) are only visible from inside the cluster, as Flyte\'s own service account; from a laptop they can only be "cannot be checked from this machine".',
    fix: 'ImagePullBackOff: build and push the image (deploy/Dockerfile) and pass `--in-cluster-image <registry>/flyte-doctor:<version>`. Forbidden: grant the permissions kubernetes.incluster.rbac lists. Service account missing: pass `--service-account`. Report write denied: an admission policy refuses the pod\'s ConfigMap update. Timeout: raise `--in-cluster-timeout` or describe the Job and its pod.',
  },
  async run(ctx) {
    if (!ctx.target.inClusterLaunch) return { status: 'skip', messageId: 'notRequested', message: 'runs only with --in-cluster' };
    return { status: 'skip', messageId: 'launching', message: 'the launcher reports here' };
  },
});
