import { KubeError, execInstallHint, kubeSession, probeSignal } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'kubernetes.config.load',
  title: 'The kubeconfig loads, the context exists and its credentials can be obtained',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  explain: {
    what: 'Loads the kubeconfig (the given path, `$KUBECONFIG` or `~/.kube/config`), selects the context and obtains its credentials. Exec credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`) are run once to prove they work.',
    why: 'Every other Kubernetes check, and `helm install` itself, uses these credentials. A missing plugin binary or a stale context fails every later step with a less clear error.',
    fix: 'Select an existing context (`kubectl config get-contexts`), install the exec plugin the kubeconfig names, or regenerate the kubeconfig (`aws eks update-kubeconfig`, `gcloud container clusters get-credentials`, `az aks get-credentials`).',
  },
  async run(ctx): Promise<Outcome> {
    const k = ctx.target.kubernetes;
    let session;
    try {
      session = await kubeSession(ctx);
      await session.credentials(probeSignal(ctx.signal, ctx.remainingMs() - 300));
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      return failure(e, k.context, k.kubeconfigPath, session?.identity.execInstallHint);
    }
    const id = session.identity;
    return {
      status: 'pass',
      messageId: 'loaded',
      message: `context "${id.context}" (cluster "${id.cluster}" at ${id.server}, user "${id.user}", ${id.auth === 'exec' ? `exec plugin \`${id.execCommand}\`` : id.auth} credentials) from ${id.files.join(', ')}`,
      details: { files: id.files, context: id.context, cluster: id.cluster, server: id.server, user: id.user, auth: id.auth, ...(id.execCommand ? { execCommand: id.execCommand } : {}) },
    };
  },
});

function failure(e: KubeError, context: string | undefined, path: string | undefined, installHint: string | undefined): Outcome {
  const details = { kind: e.kind, error: e.message, ...(e.extra.command ? { command: e.extra.command } : {}), ...(e.extra.path ? { path: e.extra.path } : {}) };
  const cfg = path ? ` --kubeconfig ${path}` : '';
  switch (e.kind) {
    case 'no-kubeconfig':
      return { status: 'fail', messageId: 'noKubeconfig', message: e.message, details,
        hint: 'point the run at a kubeconfig (the kubeconfig path option or `export KUBECONFIG=<file>`), or create one: `aws eks update-kubeconfig --name <cluster>`, `gcloud container clusters get-credentials <cluster>`, `az aks get-credentials -n <cluster> -g <group>`' };
    case 'kubeconfig-invalid':
      return { status: 'fail', messageId: 'kubeconfigInvalid', message: e.message, details, hint: `\`kubectl${cfg} config view\` shows the parse error; fix or regenerate the file` };
    case 'no-context':
      return { status: 'fail', messageId: 'noContext', message: e.message, details, hint: `choose one: \`kubectl${cfg} config get-contexts\`, then \`kubectl${cfg} config use-context <name>\` or pass the context explicitly` };
    case 'context-missing':
      return { status: 'fail', messageId: 'contextMissing', message: e.message, details, hint: `\`kubectl${cfg} config get-contexts\` lists the contexts; pass one of them${context ? ` instead of "${context}"` : ''}` };
    case 'cluster-missing': case 'user-missing':
      return { status: 'fail', messageId: 'contextBroken', message: e.message, details, hint: `\`kubectl${cfg} config view --minify${context ? ` --context ${context}` : ''}\` shows the entry; regenerate the kubeconfig for this cluster` };
    case 'credential-file':
      return { status: 'fail', messageId: 'credentialFileUnreadable', message: e.message, details, hint: `fix the file path in the user entry (\`kubectl${cfg} config view --minify${context ? ` --context ${context}` : ''}\`), or embed the data with \`kubectl config set-credentials <user> --embed-certs\`` };
    case 'exec-not-found':
      return { status: 'fail', messageId: 'execPluginMissing', message: `${e.message}; the context "${context ?? ''}" cannot get credentials without it`, details,
        hint: execInstallHint(e.extra.command ?? '', e.extra.installHint ?? installHint) };
    case 'exec-failed':
      return { status: 'fail', messageId: 'execPluginFailed', message: e.message, details: { ...details, ...(e.extra.stderr ? { stderr: e.extra.stderr } : {}) },
        hint: `run the plugin by hand to see its error (\`kubectl${cfg}${context ? ` --context ${context}` : ''} get --raw /version -v=6\`); typical causes: expired SSO login (\`aws sso login\`, \`gcloud auth login\`, \`az login\`) or a wrong profile/region in the user's exec env` };
    case 'timeout':
      return { status: 'fail', messageId: 'execPluginTimeout', message: `${e.message}; it may be waiting for an interactive login`, details,
        hint: 'run the plugin once by hand to complete the login (`aws sso login`, `gcloud auth login`, `az login`, `kubelogin`), then run again' };
    default:
      throw e;
  }
}
