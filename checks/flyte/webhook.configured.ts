import { kubeSession, kubectl, resolveChartNames, webhookConfigName } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

interface Mwc { webhooks?: { name: string; failurePolicy?: string; clientConfig?: { url?: string; caBundle?: string; service?: { name: string; namespace: string; port?: number; path?: string } } }[] }
interface Service { spec?: { ports?: { port: number; name?: string }[] } }

export default defineCheck({
  id: 'flyte.webhook.configured',
  title: 'The Flyte pod webhook is registered and points at an existing Service',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  explain: {
    what: 'Reads the MutatingWebhookConfiguration the webhook registers at start-up (flyte-binary: `<fullname>-webhook`; flyte-core: `flyte-pod-webhook`) and checks that its Service exists with the port it names and that the caBundle is set.',
    why: 'Without the configuration, task pods that request secrets start without them; with a dangling Service (failurePolicy Fail) the API server rejects those pods: "failed calling webhook flyte-pod-webhook.flyte.org".',
    fix: 'Read the webhook logs (it needs RBAC to create mutatingwebhookconfigurations), restart it to re-register, and make sure the Service exists.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const names = await resolveChartNames(s, ctx.target, ctx.signal);
    const name = webhookConfigName(names);
    const ns = ctx.target.kubernetes.namespace;
    const chart = ctx.target.chart ?? 'flyte-binary';
    const k = kubectl(ctx.target.kubernetes, ns);
    const deploy = chart === 'flyte-binary' ? name.replace(/-webhook$/, '') : 'flyte-pod-webhook';
    const mwc = await s.getOptional<Mwc>(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(name)}`, ctx.signal);
    if (!mwc) {
      return { status: 'fail', messageId: 'notRegistered', message: `MutatingWebhookConfiguration ${name} does not exist; task pods that request secrets will not get them`, details: { name, chart },
        hint: `the webhook creates it at start-up: \`${k} logs deploy/${deploy} | grep -i webhook\` (RBAC on mutatingwebhookconfigurations), then \`${k} rollout restart deploy/${deploy}\`; it is not created when \`webhook.disableCreateMutatingWebhookConfig\` is true` };
    }
    const hooks = mwc.webhooks ?? [];
    const hook = hooks.find((h) => h.name === 'flyte-pod-webhook.flyte.org') ?? hooks[0];
    if (!hook) return { status: 'fail', messageId: 'noWebhooks', message: `MutatingWebhookConfiguration ${name} has no webhooks`, details: { name }, hint: `\`${k} rollout restart deploy/${deploy}\` re-registers it` };
    const cc = hook.clientConfig ?? {};
    const details = { name, webhook: hook.name, failurePolicy: hook.failurePolicy ?? null, service: cc.service ? `${cc.service.namespace}/${cc.service.name}:${cc.service.port ?? 443}${cc.service.path ?? ''}` : null, url: cc.url ?? null, caBundle: Boolean(cc.caBundle) };
    if (!cc.service) {
      return { status: 'pass', messageId: 'urlConfigured', message: `MutatingWebhookConfiguration ${name} calls ${cc.url ?? '(no url)'} (not a Service; reachability not checked)`, details };
    }
    const svcNs = cc.service.namespace, svcName = cc.service.name, port = cc.service.port ?? 443;
    const svc = await s.getOptional<Service>(`/api/v1/namespaces/${encodeURIComponent(svcNs)}/services/${encodeURIComponent(svcName)}`, ctx.signal);
    if (!svc) {
      return { status: 'fail', messageId: 'serviceMissing', message: `MutatingWebhookConfiguration ${name} points at Service ${svcNs}/${svcName}, which does not exist; the API server rejects Flyte task pods that request secrets (failurePolicy ${hook.failurePolicy ?? 'Fail'})`, details,
        hint: `re-create the Service (\`helm upgrade\` the release), or delete the stale configuration: \`kubectl delete mutatingwebhookconfiguration ${name}\` and \`${k} rollout restart deploy/${deploy}\`` };
    }
    if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) {
      return { status: 'fail', messageId: 'portMissing', message: `Service ${svcNs}/${svcName} has no port ${port}, which MutatingWebhookConfiguration ${name} calls (ports: ${(svc.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none'})`, details,
        hint: `align \`webhook.servicePort\` in the Flyte config with the Service port: \`${k} get service ${svcName} -o yaml\`` };
    }
    if (!cc.caBundle) {
      return { status: 'fail', messageId: 'caBundleEmpty', message: `MutatingWebhookConfiguration ${name} has an empty caBundle; the API server cannot verify the webhook's certificate`, details,
        hint: `delete the webhook Secret (${chart === 'flyte-binary' ? `${deploy}-webhook-secret` : 'flyte-pod-webhook'}) and restart: \`${k} rollout restart deploy/${deploy}\`, so the certificates and the configuration are regenerated` };
    }
    return { status: 'pass', messageId: 'configured', message: `MutatingWebhookConfiguration ${name} calls Service ${svcNs}/${svcName}:${port}${cc.service.path ?? ''} (exists, caBundle set)`, details };
  },
});
