import { KubeError, kubeSession, kubectl, probeSignal } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'kubernetes.api.reachable',
  title: 'The Kubernetes API server answers over trusted TLS and accepts the credentials',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.config.load'],
  explain: {
    what: 'Calls `GET /version` and `GET /api` on the API server of the selected context, with the context\'s CA and credentials.',
    why: 'Separates the network (timeout, refused, DNS), TLS trust (unknown CA, wrong host name) and identity (401: credentials rejected; 403: authenticated but not allowed) problems that `helm install` reports as one opaque error.',
    fix: 'Timeout/refused: VPN, private endpoint, firewall, or a stale server URL. TLS: set the right CA (`kubectl config set-cluster <cluster> --certificate-authority=<ca.crt> --embed-certs`). 401: refresh the credentials. 403: bind the identity to a role.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const id = s.identity;
    const budget = Math.max(200, ctx.remainingMs() - 300);
    const signal = probeSignal(ctx.signal, budget);
    const k = kubectl({ ...ctx.target.kubernetes, context: id.context });
    const details = { server: id.server, context: id.context, user: id.user };
    let version: { gitVersion?: string; platform?: string };
    try {
      version = await s.get('/version', signal);
      await s.get('/api', signal);
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      const d = { ...details, kind: e.kind, error: e.message, ...(e.extra.code ? { code: e.extra.code } : {}), ...(e.extra.status ? { httpStatus: e.extra.status } : {}) };
      switch (e.kind) {
        case 'timeout':
          if (ctx.signal.aborted) throw e; // the run was interrupted: not our finding
          return { status: 'fail', messageId: 'timeout', message: `no answer from the API server ${id.server} within ${(budget / 1000).toFixed(1)} s`, details: { ...d, timeoutMs: budget },
            hint: `check the network path to ${id.server} (VPN, private cluster endpoint, firewall / authorized networks); \`${k} get --raw /readyz\` shows whether kubectl gets through` };
        case 'refused':
          return { status: 'fail', messageId: 'refused', message: `the API server ${id.server} refused the connection`, details: d,
            hint: `the server URL may be stale (cluster recreated or stopped): \`${k} config view --minify\`; regenerate the kubeconfig for the cluster` };
        case 'dns':
          return { status: 'fail', messageId: 'dnsFailed', message: e.message, details: d, hint: `the API server host name does not resolve; check the cluster still exists and your DNS/VPN (\`${k} config view --minify\`)` };
        case 'network':
          return { status: 'fail', messageId: 'networkError', message: e.message, details: d, hint: `check proxies and firewalls between this machine and ${id.server}` };
        case 'tls-untrusted':
          return { status: 'fail', messageId: 'tlsUntrusted', message: `the API server certificate at ${id.server} is not signed by the CA in the kubeconfig (${e.extra.code})`, details: d,
            hint: `set the cluster CA: \`kubectl config set-cluster ${id.cluster} --certificate-authority=<ca.crt> --embed-certs=true\` (or regenerate the kubeconfig); do not use insecure-skip-tls-verify` };
        case 'tls-hostname':
          return { status: 'fail', messageId: 'tlsHostname', message: e.message, details: d,
            hint: `use a server URL whose name is in the certificate, or \`kubectl config set-cluster ${id.cluster} --tls-server-name=<name in the certificate>\`` };
        case 'tls-expired':
          return { status: 'fail', messageId: 'tlsExpired', message: e.message, details: d, hint: 'the API server certificate is outside its validity window: check the machine clock, or rotate the cluster certificates' };
        case 'tls-other':
          return { status: 'fail', messageId: 'tlsFailed', message: e.message, details: d, hint: `check the server URL scheme and port (\`${k} config view --minify\`) and any TLS-intercepting proxy` };
        case 'unauthorized':
          return { status: 'fail', messageId: 'unauthorized', message: `the API server rejected the credentials of user "${id.user}" (401 Unauthorized)`, details: d,
            hint: id.auth === 'exec'
              ? `the token from \`${id.execCommand}\` was refused: log in again and regenerate the kubeconfig (\`aws eks update-kubeconfig\`, \`gcloud container clusters get-credentials\`, \`az aks get-credentials\`); check with \`${k} auth whoami\``
              : `the ${id.auth} credentials are expired or wrong: \`kubectl config set-credentials ${id.user} --token=<new token>\` (or new client certificate); check with \`${k} auth whoami\`` };
        case 'forbidden':
          return { status: 'fail', messageId: 'forbidden', message: `the API server accepted the connection but refused API discovery for user "${id.user}" (403 Forbidden): ${e.message}`, details: d,
            hint: `the request was likely treated as anonymous or the identity has no role at all: \`${k} auth whoami\`; ask a cluster admin for a binding (\`kubectl create clusterrolebinding <name> --clusterrole=<role> --user=<you>\`)` };
        case 'http':
        case 'not-found':
          return { status: 'fail', messageId: 'notKubernetes', message: `${id.server} does not answer like a Kubernetes API server: ${e.message}`, details: d, hint: `check the server URL and port: \`${k} config view --minify\`` };
        default:
          throw e;
      }
    }
    return {
      status: 'pass', messageId: 'reachable',
      message: `API server ${id.server} answered (${version.gitVersion ?? 'unknown version'}) and accepted user "${id.user}"`,
      details: { ...details, gitVersion: version.gitVersion ?? null },
    };
  },
});
