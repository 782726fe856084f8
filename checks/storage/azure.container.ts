import { azureCall, azureService, AzureProbeError, okAnswer } from '../../src/clients/azure.js';
import { defineCheck } from '../../src/engine/define.js';
import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { storageKey } from '../../src/flyte/storage.js';
import { azureInstances, probePrefixRoot, type AzureIdentity } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, azureNotAzure, azureWho, containerFor, type AzureOp } from './_support.js';

export default defineCheck({
  id: 'storage.azure.container',
  title: 'The Azure Blob container exists and the credentials are accepted',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  instances: azureInstances,
  writes: 'none',
  messages: {
    exists: { status: 'pass', summary: 'The container exists (Get Container Properties, or a listing when a SAS does not allow the properties); the auth mode in use is named.' },
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Builds the blob service URL (`https://<account>.blob.<configDomainSuffix|core.windows.net>`, or the custom endpoint of Azurite / Azure Stack), picks the auth mode Flyte uses (the account key; otherwise Azure AD: Workload Identity in the pods, this machine\'s Azure login here; or a SAS from AZURE_STORAGE_SAS_TOKEN), and reads the properties of each configured container (metadata and raw-data). Every Azure Storage error code is its own finding: wrong key, expired or not-yet-valid SAS, signature, clock, firewall rules, shared key disabled, missing role, missing container or account.',
    why: 'Flyte loads its container at start (and tries to create a missing one); a wrong key, a firewall rule or a missing role stops flyteadmin, datacatalog and every task.',
    fix: 'Create the container, fix the account key or name, allow the network path, or assign Storage Blob Data Contributor to Flyte\'s managed identity.',
  },
  async run(ctx) {
    const st = ctx.target.storage!;
    const container = containerFor(ctx);
    const op: AzureOp = { container, op: 'container', name: 'GetContainerProperties', instanceKey: ctx.instance?.key };
    let id: AzureIdentity;
    let box;
    try { box = await azureService(ctx); id = box.identity; } catch (e) { return azureFailure(ctx, op, e); }
    // Go's base64 decoder (Flyte's Azure client) skips only \r and \n; Node's, under this probe, skips
    // every space: a key with a space or tab around it works here and fails in Flyte.
    const key = id.mode === 'key' ? st.secretKey?.reveal() : undefined;
    const goSees = key?.replace(/[\r\n]/g, ''); // what Go's decoder reads
    const ws = goSees !== undefined && goSees !== goSees.trim() ? surroundingWhitespace(key) : undefined;
    if (ws) {
      return { status: 'fail', messageId: 'wrongAccountKey', cause: `credentials:azure:key:${st.account ?? '?'}`, message: `the account key in ${storageKey(st, 'secretKey')} ${ws}: Flyte's Azure client (Go's base64 decoder) refuses it ("illegal base64 data"), though the key itself may be right`, hint: `set ${storageKey(st, 'secretKey')} to the key with nothing around it`, details: { container, account: st.account ?? null, whitespace: ws } };
    }
    // Node decodes any base64 leniently (missing padding, base64url, stray characters skipped), Go's
    // StdEncoding (Flyte's azblob shared key) does not: a key it refuses must not pass here.
    const bad = goSees !== undefined ? goBase64Problem(goSees) : undefined;
    if (bad) {
      return { status: 'fail', messageId: 'wrongAccountKey', cause: `credentials:azure:key:${st.account ?? '?'}`, message: `the account key in ${storageKey(st, 'secretKey')} is not standard base64 (${bad}): Flyte's Azure client (Go's base64.StdEncoding) refuses it ("decode account key: illegal base64 data"), though this machine's lenient decoder may accept it`, hint: `set ${storageKey(st, 'secretKey')} to the key exactly as az storage account keys list --account-name ${st.account ?? '<account>'} --query "[0].value" -o tsv prints it (88 characters ending in ==)`, details: { container, account: st.account ?? null, keyProblem: bad } };
    }
    const who = azureWho(st, id, ctx.target);
    const c = box.service.getContainerClient(container);
    const details = { container, account: st.account ?? null, endpoint: c.url.split('?')[0]!, ...who.details };
    try {
      const res = await azureCall(ctx, 'GetContainerProperties', (s) => c.getProperties({ abortSignal: s }));
      const a = okAnswer(res);
      if (!a.azure) return azureNotAzure(ctx, a, `GetContainerProperties on abfs://${container}`, details);
      return { status: 'pass', messageId: 'exists', message: `container ${container} exists in ${st.account ?? details.endpoint}${who.suffix}`, details };
    } catch (e) {
      // A container SAS may not allow the properties (it is not a read of a blob): a listing tells.
      if (!(e instanceof AzureProbeError && e.code === 'AuthorizationPermissionMismatch' && id.mode === 'sas')) return azureFailure(ctx, op, e, id);
    }
    try {
      const page = await azureCall(ctx, 'ListBlobs', async (s) => {
        const it = c.listBlobsFlat({ prefix: probePrefixRoot, abortSignal: s }).byPage({ maxPageSize: 1 });
        return (await it.next()).value;
      });
      const a = okAnswer(page);
      if (!a.azure) return azureNotAzure(ctx, a, `ListBlobs on abfs://${container}`, details);
      return { status: 'pass', messageId: 'exists', message: `container ${container} exists in ${st.account ?? details.endpoint} (a listing; the SAS does not allow reading the container's properties)${who.suffix}`, details: { ...details, how: 'ListBlobs' } };
    } catch (e) {
      return azureFailure(ctx, { ...op, op: 'list', name: 'GetContainerProperties and ListBlobs' }, e, id);
    }
  },
});

/**
 * Why Go's base64.StdEncoding.DecodeString (after dropping \r and \n, as Go does) refuses the key,
 * or undefined when it decodes. Names positions and kinds, never the key's characters.
 */
function goBase64Problem(key: string): string | undefined {
  if (key === '') return 'it is empty';
  const bad = [...key].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
  if (bad >= 0) {
    const c = key[bad]!;
    const kind = c === '-' || c === '_' ? 'a base64url character (- or _)' : /\s/.test(c) ? 'a space or tab' : c === '%' ? 'a URL-encoded character (%)' : 'a character outside the base64 alphabet';
    return `${kind} at position ${bad + 1} of ${key.length}`;
  }
  const eq = key.indexOf('=');
  if (eq >= 0 && (!/^={1,2}$/.test(key.slice(eq)) || key.length % 4 !== 0)) return `padding (=) in the wrong place, at position ${eq + 1} of ${key.length}`;
  if (key.length % 4 !== 0) return `${key.length} characters, not a multiple of 4: the padding (=) at its end is missing or it was cut short${key.length % 4 === 2 ? ' (Azure keys are 88 characters ending in ==)' : ''}`;
  return undefined;
}
