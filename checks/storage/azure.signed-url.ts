import { azureProbeState, azureProbeWrite, azureSignedUrl, AzureProbeError } from '../../src/clients/azure.js';
import { answerOf, HttpProbeError, httpProbe } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances, storageKey } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, SIGNED_URL_MESSAGES, signedUrlAnswer, SKIP_MESSAGES, azureOpen } from './_support.js';

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
    rejected: { status: 'fail', summary: 'The SAS URL\'s signature was refused (AuthenticationFailed, KeyBasedAuthenticationNotPermitted) although the same credentials work for API calls.' },
    urlUnreachable: { status: 'fail', summary: 'The host of the SAS URL cannot be reached from here.' },
    urlStalled: { status: 'fail', summary: 'The host of the SAS URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
    ...SIGNED_URL_MESSAGES,
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
    const st = ctx.target.storage!;
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
      const a = answerOf(r.status, r.headers as Record<string, unknown>, r.body);
      const code = a.headers['x-ms-error-code'] || a.code || '';
      const azure = !!(a.headers['x-ms-request-id'] || a.headers['x-ms-version']);
      if (w.ok && r.status === 200 && r.body.equals(state.body)) return { status: 'pass', messageId: 'fetched', message: `fetched the probe blob through a ${signed.kind} URL (${u.host})${azure ? '' : ', identical bytes although without Azure Storage\'s headers (a proxy or CDN in front)'}${who.suffix}`, details };
      if (!w.ok && r.status === 404 && azure && (code === 'BlobNotFound' || !code)) return { status: 'pass', messageId: 'signatureAccepted', message: `a ${signed.kind} URL was made and accepted by ${u.host} (BlobNotFound: no probe blob could be written, see storage.azure.put)${who.suffix}`, details: { ...details, httpStatus: 404 } };
      const said = `HTTP ${r.status}${code ? ` ${code}` : ''}${a.message ? `: ${a.message.split('\n')[0]!.slice(0, 200)}` : ''}`;
      const d = { ...details, httpStatus: r.status, code: code || null };
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (azure && code === 'AuthenticationFailed' && /time frame|expir|start time|not valid (yet|at)|clock/i.test(a.message ?? '')) return { status: 'fail', messageId: 'urlExpired', cause: cause.config('clock'), message: `the ${signed.kind} was refused as outside its validity right after it was made (${said}): this machine's clock differs from Azure's (st/se were set from it)`, hint: 'synchronise the clocks with NTP on this machine and the Kubernetes nodes (`timedatectl set-ntp true`, `chronyc makestep`): Flyte signs SAS URLs with its pod\'s clock', details: d };
      if (azure && code === 'KeyBasedAuthenticationNotPermitted') return { status: 'fail', messageId: 'rejected', cause: cause.config(`azure-shared-key:${st.account ?? u.host}`), message: `the ${signed.kind} was refused (${said}): the storage account does not allow shared-key authorization, so no SAS signed with the account key works`, hint: `sign with Azure AD (a user delegation SAS: Workload Identity with Storage Blob Delegator) or allow shared keys on the account (az storage account update --name ${st.account ?? '<account>'} --allow-shared-key-access true)`, details: d };
      if (azure && code === 'AuthenticationFailed') return { status: 'fail', messageId: 'rejected', cause: cause.wrongService(hostPortKey(u.hostname, port)), message: `the ${signed.kind}'s signature was refused (${said}) although the same ${box.identity.mode === 'key' ? 'account key' : 'identity'} was accepted by the API calls: something between here and the store changes the host, path or query, or the ${box.identity.mode === 'key' ? 'key was rotated' : 'user delegation key was revoked'} in between`, hint: 'keep the path and query of SAS URLs unchanged in proxies in front of the blob endpoint; run again to rule out a rotation in between', details: d };
      if (azure && /^Authorization(Failure|PermissionMismatch|SourceIPMismatch|ProtocolMismatch|ResourceTypeMismatch|ServiceMismatch)$/.test(code)) return { status: 'fail', messageId: 'urlDenied', cause: cause.denied('azure', `sas:${st.account ?? u.host}`, 'read'), message: `the ${signed.kind} was refused (${said}): ${code === 'AuthorizationFailure' ? 'the storage account\'s network rules refuse this address, or the signer may not read the blob' : code === 'AuthorizationPermissionMismatch' ? 'the identity that signed the user delegation SAS may not read the blob (Storage Blob Data Reader/Contributor)' : 'the SAS\'s own restrictions refuse this request'}`, hint: code === 'AuthorizationFailure' ? `clients (pyflyte, the console) fetch SAS URLs from their own addresses: allow them in the account's networking (az storage account network-rule add --account-name ${st.account ?? '<account>'} --ip-address <ip>) or give them a private endpoint` : code === 'AuthorizationPermissionMismatch' ? 'assign Storage Blob Data Contributor on the container to Flyte\'s identity (az role assignment create --role "Storage Blob Data Contributor" --assignee <principal> --scope <container id>)' : 'check the SAS the data proxy issues (sip, spr, ss, srt)', details: d };
      return signedUrlAnswer(a, { store: 'Azure Blob Storage', what: 'SAS URL', url: u, key: storageKey(st, 'endpoint'), keyTakesUrl: !/domainSuffix|DomainSuffix/.test(storageKey(st, 'endpoint')), fromStore: azure, code: code || undefined, message: a.message, details });
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (e.kind === 'stalled') return { status: 'fail', messageId: 'urlStalled', cause: cause.backend(`azure ${hostPortKey(u.hostname, port)}`), message: `the SAS URL: ${e.message}; a download through it stalls the same way for pyflyte and the console`, hint: `check the store behind ${u.host} and any proxy or load balancer on the way (response buffering, body or idle timeouts)`, details: { ...details, kind: e.kind } };
      return { status: 'fail', messageId: 'urlUnreachable', cause: e.kind === 'dns' ? cause.dns(u.hostname) : cause.unreachable(hostPortKey(u.hostname, port)), message: `the SAS URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: 'clients (pyflyte, the console) fetch SAS URLs directly from the blob endpoint: make it reachable from where they run (public access or a private endpoint with DNS)', details };
    }
  },
});
