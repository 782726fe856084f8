import { basename, EXEC_REFRESH, execInstallHint, KubeError, kubeSession, kubectl, probeSignal, type KubeIdentity } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { serverHostPort } from './_support.js';

export default defineCheck({
  id: 'kubernetes.config.load',
  title: 'The kubeconfig loads, the context exists and its credentials can be obtained',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  messages: {
    loaded: { status: 'pass', summary: 'The context was selected and its credentials obtained (exec plugin run, token file read).' },
    noKubeconfig: { status: 'fail', summary: 'No kubeconfig file exists at the path, in $KUBECONFIG or at ~/.kube/config.' },
    kubeconfigInvalid: { status: 'fail', summary: 'The kubeconfig cannot be parsed or has a wrong entry (e.g. a cluster without a server URL).' },
    noContext: { status: 'fail', summary: 'No context was given and the kubeconfig has no current-context.' },
    contextMissing: { status: 'fail', summary: 'The context named (flag or current-context) is not defined in any kubeconfig file.' },
    contextBroken: { status: 'fail', summary: 'The context names a cluster or user that is not defined.' },
    credentialFileUnreadable: { status: 'fail', summary: 'A file the user or cluster entry names (tokenFile, client certificate or key, CA) cannot be read.' },
    credentialInvalid: { status: 'fail', summary: 'A credential in the kubeconfig is unusable: not PEM, a certificate without its key, an empty token file.' },
    credentialsExpired: { status: 'fail', summary: 'The kubeconfig itself says the credential expired (oidc id-token, gcp/azure access-token).' },
    authUnsupported: { status: 'fail', summary: 'The user entry uses an auth method kubectl no longer supports (gcp/azure auth-provider, exec apiVersion v1alpha1, an interactive-only plugin).' },
    execPluginMissing: { status: 'fail', summary: 'The exec credential plugin is not installed (not on PATH, not executable).' },
    execPluginFailed: { status: 'fail', summary: 'The exec credential plugin ran and exited with an error (expired login, wrong profile).' },
    execPluginBadOutput: { status: 'fail', summary: 'The exec credential plugin printed something that is not a valid ExecCredential.' },
    execPluginHeldOpen: { status: 'fail', summary: 'The exec credential plugin exited, but a process it started keeps its output open: kubectl waits for it and hangs.' },
    execPluginTimeout: { status: 'fail', summary: 'The exec credential plugin did not finish in time (it may wait for an interactive login).' },
  },
  explain: {
    what: 'Loads the kubeconfig with kubectl\'s rules (the given path, or the `$KUBECONFIG` files merged, or `~/.kube/config`), selects the context and obtains its credentials: reads the token file, the client certificate and key, runs the exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`) once.',
    why: 'Every other Kubernetes check, and `helm install` itself, uses these credentials. A missing plugin binary, an unreadable token file or a stale context fails every later step with a less clear error.',
    fix: 'Select an existing context (`kubectl config get-contexts`), install the exec plugin the kubeconfig names, fix the file paths in the user entry, or regenerate the kubeconfig (`aws eks update-kubeconfig`, `gcloud container clusters get-credentials`, `az aks get-credentials`).',
  },
  async run(ctx) {
    let identity: KubeIdentity | undefined;
    try {
      const session = await kubeSession(ctx);
      identity = session.identity;
      await session.credentials(probeSignal(ctx.signal, Math.max(200, ctx.remainingMs() - 300)));
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      if (e.kind === 'timeout' && ctx.signal.aborted) throw e;
      return failure(e, ctx, identity);
    }
    const id = identity;
    const creds = id.auth === 'exec' ? `exec plugin \`${id.execCommand}\``
      : id.auth === 'token-file' ? `token read from ${id.tokenFile}`
        : id.auth === 'auth-provider' ? `${id.authProvider} auth-provider` : id.auth === 'none' ? 'no' : id.auth;
    return {
      status: 'pass', messageId: 'loaded',
      message: `context "${id.context}" (cluster "${id.cluster}" at ${id.server}, user "${id.user}", ${creds} credentials) from ${id.files.join(', ')}${id.proxy ? ` via proxy ${id.proxy} (${id.proxySource})` : ''}`,
      details: { files: id.files, context: id.context, cluster: id.cluster, server: id.server, user: id.user, auth: id.auth, ...(id.execCommand ? { execCommand: id.execCommand } : {}), ...(id.tokenFile ? { tokenFile: id.tokenFile } : {}), ...(id.proxy ? { proxy: id.proxy } : {}) },
    };
  },
});

function failure(e: KubeError, ctx: CheckContext, id: KubeIdentity | undefined) {
  const kt = ctx.target.kubernetes;
  const context = kt.context ?? id?.context;
  const k = kubectl(kt);
  const details = { kind: e.kind, error: e.message, ...(e.extra.command ? { command: e.extra.command } : {}), ...(e.extra.path ? { path: e.extra.path } : {}), ...(e.extra.field ? { field: e.extra.field } : {}) };
  const who = `${id?.user || context || 'kubernetes'}@${id ? serverHostPort(id.server) : 'kubeconfig'}`;
  const minify = `\`${k} config view --minify${context && !kt.context ? ` --context ${context}` : ''}\``;
  const cmd = e.extra.command ?? id?.execCommand ?? '';
  switch (e.kind) {
    case 'no-kubeconfig':
      return { status: 'fail' as const, messageId: 'noKubeconfig' as const, cause: cause.config('kubeconfig'), message: e.message, details,
        hint: 'point the run at a kubeconfig (`--kubeconfig <file>` or `export KUBECONFIG=<file>`), or create one: `aws eks update-kubeconfig --name <cluster>`, `gcloud container clusters get-credentials <cluster>`, `az aks get-credentials -n <cluster> -g <group>`' };
    case 'kubeconfig-invalid':
      return { status: 'fail' as const, messageId: 'kubeconfigInvalid' as const, cause: cause.config('kubeconfig'), message: e.message, details, hint: `\`${k} config view\` shows the parse error; fix or regenerate the file` };
    case 'no-context':
      return { status: 'fail' as const, messageId: 'noContext' as const, cause: cause.config('kubeconfig.current-context'), message: e.message, details, hint: `choose one: \`${k} config get-contexts\`, then \`${k} config use-context <name>\` or pass --context <name>` };
    case 'context-missing':
      return { status: 'fail' as const, messageId: 'contextMissing' as const, cause: cause.config('kubeconfig.current-context'), message: e.message, details, hint: `\`${k} config get-contexts\` lists the contexts; pass one of them${context ? ` instead of "${context}"` : ''}` };
    case 'cluster-missing': case 'user-missing':
      return { status: 'fail' as const, messageId: 'contextBroken' as const, cause: cause.config('kubeconfig.contexts'), message: e.message, details, hint: `${minify} shows the entry; regenerate the kubeconfig for this cluster` };
    case 'credential-file':
      return { status: 'fail' as const, messageId: 'credentialFileUnreadable' as const, cause: cause.credentials('kubernetes', who), message: e.message, details,
        hint: e.extra.field === 'tokenFile'
          ? `the user entry reads its token from a file that is not there: fix the path (${minify}) or write the token to it; a relative path is relative to the kubeconfig file that defines the user`
          : `fix the file path in the entry (${minify}; relative paths are relative to the kubeconfig file that defines them), or embed the data with \`kubectl config set-credentials <user> --embed-certs\`` };
    case 'credential-invalid':
      return { status: 'fail' as const, messageId: 'credentialInvalid' as const, cause: cause.credentials('kubernetes', who), message: e.message, details,
        hint: e.extra.field === 'tokenFile' ? 'write the token into the file (it is empty), or point tokenFile at the right file'
          : e.extra.code === 'invalid-header-value'
            ? (e.extra.field === 'exec.status.token' ? `the plugin's output is broken: update or reconfigure the plugin (${minify} shows its command), then check with \`${k} auth whoami\``
              : `remove the character from ${e.extra.field} of the user entry (${minify}); a YAML block scalar (\`token: |\`) adds a line break: write the value on the key's line, e.g. \`kubectl config set-credentials ${id?.user || '<user>'} --token=<token>\``)
            : `regenerate the credentials (the provider's get-credentials command) or fix the entry: ${minify}` };
    case 'credential-expired':
      return { status: 'fail' as const, messageId: 'credentialsExpired' as const, cause: cause.credentials('kubernetes', who), message: e.message, details,
        hint: id?.authProvider === 'oidc' ? `log in again so a fresh id-token is written (run \`${k} get --raw /version\` once: kubectl refreshes it with the refresh-token, or \`kubectl oidc-login\`)`
          : id?.authProvider === 'gcp' ? 'install the exec plugin and regenerate the entry: `gcloud components install gke-gcloud-auth-plugin`, then `gcloud container clusters get-credentials <cluster>`'
            : 'log in again and regenerate the entry: `az login`, then `kubelogin convert-kubeconfig -l azurecli`' };
    case 'auth-unsupported':
      return { status: 'fail' as const, messageId: 'authUnsupported' as const, cause: cause.credentials('kubernetes', who), message: e.message, details,
        hint: e.extra.field === 'exec.apiVersion' ? `regenerate the kubeconfig with a current tool (it writes client.authentication.k8s.io/v1beta1 or v1): ${EXEC_REFRESH[basename(cmd)] ?? '`aws eks update-kubeconfig`, `gcloud container clusters get-credentials`, `az aks get-credentials`'}`
          : e.extra.field === 'exec.interactiveMode' ? `run the plugin once by hand to log in (\`${cmd}\`), or set interactiveMode: IfAvailable in the user's exec entry`
            : id?.authProvider === 'gcp' || /gcp/.test(e.message) ? '`gcloud components install gke-gcloud-auth-plugin`, then `gcloud container clusters get-credentials <cluster>` (writes an exec entry)'
              : '`kubelogin convert-kubeconfig -l azurecli` (Azure), or regenerate the kubeconfig with the provider\'s get-credentials command' };
    case 'exec-not-found':
      return { status: 'fail' as const, messageId: 'execPluginMissing' as const, cause: cause.credentials('kubernetes', who), message: `${e.message}; the context "${context ?? ''}" cannot get credentials without it`, details,
        hint: execInstallHint(cmd, e.extra.installHint ?? id?.execInstallHint) };
    case 'exec-failed':
      return { status: 'fail' as const, messageId: 'execPluginFailed' as const, cause: cause.credentials('kubernetes', who), message: e.message, details: { ...details, ...(e.extra.stderr ? { stderr: e.extra.stderr } : {}) },
        hint: `${EXEC_REFRESH[basename(cmd)] ?? `log in again with the tool behind \`${cmd}\``}; run the plugin by hand to see its whole error (\`${cmd}${id?.execArgs?.length ? ` ${id.execArgs.join(' ')}` : ''}\`); a wrong profile or region comes from the env of the user's exec entry` };
    case 'exec-bad-output':
      return { status: 'fail' as const, messageId: 'execPluginBadOutput' as const, cause: cause.credentials('kubernetes', who), message: e.message, details,
        hint: `the plugin must print an ExecCredential JSON with the apiVersion of the kubeconfig entry and a token or a client certificate and key; update the plugin or regenerate the entry (${EXEC_REFRESH[basename(cmd)] ?? 'the provider\'s get-credentials command'})` };
    case 'exec-held-open':
      return { status: 'fail' as const, messageId: 'execPluginHeldOpen' as const, cause: cause.credentials('kubernetes', who), message: e.message, details: { ...details, ...(e.extra.stderr ? { stderr: e.extra.stderr } : {}) },
        hint: `a background process the plugin starts must not inherit its standard output: in a wrapper script, start it with its output redirected (\`daemon >/dev/null 2>&1 &\`); run the plugin by hand (\`${cmd}${id?.execArgs?.length ? ` ${id.execArgs.join(' ')}` : ''} | cat\`) — it does not return either — or regenerate the entry (${EXEC_REFRESH[basename(cmd)] ?? 'the provider\'s get-credentials command'})` };
    case 'timeout':
      return { status: 'fail' as const, messageId: 'execPluginTimeout' as const, cause: cause.credentials('kubernetes', who), message: `${e.message}; it may be waiting for an interactive login`, details,
        hint: `run the plugin once by hand to complete the login (${EXEC_REFRESH[basename(cmd)] ?? '`aws sso login`, `gcloud auth login`, `az login`, `kubelogin`'}), then run again` };
    case 'proxy':
      return { status: 'fail' as const, messageId: 'kubeconfigInvalid' as const, cause: cause.config('kubeconfig'), message: e.message, details, hint: 'fix proxy-url in the cluster entry or the HTTPS_PROXY variable (http://, https:// or socks5:// URLs)' };
    default:
      throw e;
  }
}
