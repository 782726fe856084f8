import { azureProbeState, azureProbeWrite, azureSignedUrl, AzureProbeError } from '../../src/clients/azure.js';
import { HttpProbeError, httpProbe } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, SKIP_MESSAGES, azureOpen } from './_support.js';

export default defineCheck({
  id: 'storage.azure.signed-url',
  title: 'A SAS URL for the probe blob can be made and fetched from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  dependsOn: ['storage.azure.container'],
  instances: azureInstances,
  timeoutMs: 12_000,
  writes: 'none',
  messages: {
    fetched: { status: 'pass', summary: 'A read SAS was made (service SAS with the account key, or user delegation SAS with Azure AD) and fetched from here; it returned the probe blob.' },
    signatureAccepted: { status: 'pass', summary: 'No probe blob could be written, but the SAS URL was accepted (BlobNotFound, not 403).' },
    cannotSign: { status: 'skip', summary: 'The probes use a SAS token, which cannot sign new URLs (Flyte signs with its account key or a user delegation key).' },
    rejected: { status: 'fail', summary: 'The SAS URL was refused or returned something else than the probe blob.' },
    urlUnreachable: { status: 'fail', summary: 'The host of the SAS URL cannot be reached from here.' },
    urlStalled: { status: 'fail', summary: 'The host of the SAS URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Signs a read SAS for the probe blob the way Flyte\'s data proxy does (with the account key, or a user delegation key from Azure AD, which needs generateUserDelegationKey) and fetches it with a plain HTTP GET. The signature (`sig=`) is a secret and is never shown.',
    why: 'Flyte hands SAS URLs to pyflyte and the console for uploads and downloads; a URL that cannot be signed or fetched breaks `pyflyte run --remote` and the console\'s data views.',
    fix: 'With Azure AD, assign Storage Blob Delegator (or Reader/Contributor, which include generateUserDelegationKey) on the account; make the blob endpoint reachable by clients.',
  },
  async run(ctx) {
    const open = await azureOpen(ctx, 'sign', 'GetUserDelegationKey');
    if ('done' in open) return open.done;
    const { op, container, box, who } = open;
    if (box.identity.mode === 'sas') return { status: 'skip', messageId: 'cannotSign', message: `the probes use a SAS token, which cannot sign new URLs; Flyte signs with its account key or a user delegation key, so signed URLs were not checked from here`, details: { container, ...who.details } };
    const state = await azureProbeState(ctx, container);
    const w = await azureProbeWrite(ctx, container);
    let signed;
    try { signed = await azureSignedUrl(ctx, container, state.probeKey); } catch (e) {
      if (e instanceof AzureProbeError) return azureFailure(ctx, op, e, box.identity);
      throw e;
    }
    const u = new URL(signed.url);
    const details = { url: `${u.origin}${u.pathname}`, kind: signed.kind, sasPermissions: signed.sas.permissions ?? null, sasExpiry: signed.sas.expiry ?? null, ...who.details };
    try {
      const r = await httpProbe(signed.url, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 6000), signal: ctx.signal });
      const code = String(r.headers['x-ms-error-code'] ?? '') || /<Code>([^<]+)<\/Code>/.exec(r.body.subarray(0, 2048).toString('utf8'))?.[1] || '';
      const azure = !!(r.headers['x-ms-request-id'] || r.headers['x-ms-version']);
      if (w.ok && r.status === 200 && r.body.equals(state.body) && azure) return { status: 'pass', messageId: 'fetched', message: `fetched the probe blob through a ${signed.kind} URL (${u.host})${who.suffix}`, details };
      if (!w.ok && r.status === 404 && azure && (code === 'BlobNotFound' || !code)) return { status: 'pass', messageId: 'signatureAccepted', message: `a ${signed.kind} URL was made and accepted by ${u.host} (BlobNotFound: no probe blob could be written, see storage.azure.put)${who.suffix}`, details: { ...details, httpStatus: 404 } };
      return { status: 'fail', messageId: 'rejected', message: `the SAS URL answered HTTP ${r.status}${code ? ` ${code}` : ''}${azure ? '' : ' (not from Azure Storage)'} instead of the probe blob`, hint: r.status === 403 ? `a ${signed.kind} made here was refused: ${box.identity.mode === 'key' ? `the account key in ${'the configuration'} may be rotated, or shared-key SAS is disabled on the account (allowSharedKeyAccess)` : 'the user delegation key may be revoked'}; a proxy that changes the path or host of SAS URLs also breaks them` : 'check what answers at the blob endpoint for clients (proxy, private endpoint)', details: { ...details, httpStatus: r.status, code: code || null } };
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (e.kind === 'stalled') return { status: 'fail', messageId: 'urlStalled', cause: cause.backend(`azure ${hostPortKey(u.hostname, port)}`), message: `the SAS URL: ${e.message}; a download through it stalls the same way for pyflyte and the console`, hint: `check the store behind ${u.host} and any proxy or load balancer on the way (response buffering, body or idle timeouts)`, details: { ...details, kind: e.kind } };
      return { status: 'fail', messageId: 'urlUnreachable', cause: e.kind === 'dns' ? cause.dns(u.hostname) : cause.unreachable(hostPortKey(u.hostname, port)), message: `the SAS URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: 'clients (pyflyte, the console) fetch SAS URLs directly from the blob endpoint: make it reachable from where they run (public access or a private endpoint with DNS)', details };
    }
  },
});
