import { existsSync } from 'node:fs';
import { azureEmbeddedSecrets } from '../../src/clients/azure.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';
import { headerUnsafe, surroundingWhitespace } from '../../src/config/hygiene.js';
import { bucketNameProblem } from '../../src/config/bucket-names.js';
import { placeholderTokens } from '../../src/config/hygiene.js';
import { nameInside, schemeTwice } from '../../src/config/host-values.js';
import { bucketFromUrl, changeHint, credentialPrecedence, effectiveEndpoint, shownEndpoint, storageFix, storageKey, userDataBucketOf } from '../../src/flyte/storage.js';

type Problem = { id: 'noMetadataBucket' | 'invalidBucketName' | 'invalidRegion' | 'rawPrefixScheme' | 'missingKeys' | 'badAuthType' | 'noRegion' | 'badEndpoint' | 'keyFileMissing' | 'rawPrefixBucket' | 'keysIgnored' | 'sslFlagMismatch' | 'endpointNoScheme' | 'noAccount' | 'invalidAccountName' | 'unsendableValue'; msg: string; hint: string; cause?: string };

export default defineCheck({
  id: 'storage.config.coherent',
  title: 'The object store configuration is complete and coherent',
  phases: ['preflight', 'verify'],
  needs: ['storage'],
  writes: 'none',
  messages: {
    coherent: { status: 'pass', summary: 'Provider, buckets, endpoint, region and credentials mode fit together.' },
    unsupportedProvider: { status: 'skip', summary: 'Providers other than S3, GCS and Azure Blob (stow oracle, swift, local) are not probed.' },
    invalidRegion: { status: 'fail', summary: 'The S3 region is not a region name (a URL, a port or a path in it): the clients refuse it or sign for a region that does not exist.' },
    invalidBucketName: { status: 'fail', summary: 'A bucket (container) name the store refuses: a URL (s3://...), a path, capitals, a character it cannot hold, or whitespace.' },
    noMetadataBucket: { status: 'fail', summary: 'No metadata bucket is configured (Flyte\'s storage.container is required).' },
    rawPrefixScheme: { status: 'fail', summary: 'The raw output prefix uses another scheme than the provider (s3:// vs gs:// vs abfs://).' },
    missingKeys: { status: 'fail', summary: 'authType accesskey without the access key or the secret key.' },
    badAuthType: { status: 'fail', summary: 'An authType the chart does not accept (iam or accesskey).' },
    noRegion: { status: 'fail', summary: 'AWS S3 without a region.' },
    badEndpoint: { status: 'fail', summary: 'The endpoint is not an http(s) URL.' },
    noAccount: { status: 'fail', summary: 'Azure Blob without a storage account: stow cannot dial it.' },
    invalidAccountName: { status: 'fail', summary: 'The Azure storage account is not an account name (3-24 lower-case letters and digits): a URL, a host name, a connection string, capitals or dashes; Flyte dials and signs for an account that does not exist.' },
    keyFileMissing: { status: 'fail', summary: 'The GCS key file is not readable here.' },
    rawPrefixBucket: { status: 'warn', summary: 'The raw output prefix names another bucket than the userdata bucket.' },
    keysIgnored: { status: 'warn', summary: 'Access keys are set but authType is iam: Flyte ignores them and uses its pods\' identity (IRSA).' },
    sslFlagMismatch: { status: 'warn', summary: 'The endpoint\'s scheme and disableSSL disagree; clients that build the URL from disableSSL use the other one.' },
    unsendableValue: { status: 'fail', summary: 'The S3 access key id or region has a line break, a tab or another control character (or the region whitespace around it): it goes into every request\'s Authorization header, which Go\'s net/http (Flyte) and Node refuse to send.' },
    endpointNoScheme: { status: 'warn', summary: 'The endpoint has no scheme; it is taken from disableSSL.' },
  },
  explain: {
    what: 'Reads the storage settings from the values: provider, metadata and raw-data buckets (`metadataContainer`/`userDataContainer`, flyte-core `bucketName` and `rawoutput-prefix`), endpoint, region, path-style addressing, `disableSSL` and the credentials mode, and checks they fit together. Azure Blob (stow kind azure) too; other stow kinds are skipped with the reason.',
    why: 'A missing bucket name, a raw-output prefix with the wrong scheme, `authType: accesskey` without keys, keys left in the values with `authType: iam`, or an endpoint whose scheme contradicts `disableSSL` break Flyte at start or at the first task.',
    fix: 'Set the named values key.',
  },
  async run(ctx): Promise<Outcome<Problem['id'] | 'coherent' | 'unsupportedProvider'>> {
    const t = ctx.target;
    const st = t.storage!;
    for (const s of azureEmbeddedSecrets(st)) ctx.addSecret(s);
    if (st.provider === 'other') {
      return { status: 'skip', messageId: 'unsupportedProvider', message: `storage provider ${st.rawType ?? st.provider} is not probed by flyte-doctor (S3, S3-compatible, GCS and Azure Blob are); the object store was not checked`, details: { provider: st.provider, rawType: st.rawType ?? null } };
    }
    const scheme = st.provider === 'gcs' ? 'gs' : st.provider === 'azure' ? 'abfs' : 's3';
    // Azure: stow reads abfs:// (and abfss://, wasb(s)://) prefixes alike.
    const schemeOk = (s: string) => s === scheme || (st.provider === 'azure' && ['abfs', 'abfss', 'wasb', 'wasbs'].includes(s.toLowerCase()));
    const ud = userDataBucketOf(st);
    const details: Record<string, Json> = {
      provider: st.provider, rawType: st.rawType ?? null, metadataBucket: st.metadataBucket ?? null, userDataBucket: ud ?? null,
      rawOutputPrefix: st.rawOutputPrefix ?? null, authType: st.authType,
      ...(st.provider === 's3' ? { endpoint: shownEndpoint(st), customEndpoint: !!st.endpoint, region: st.region ?? null, forcePathStyle: st.forcePathStyle ?? !!st.endpoint, disableSSL: st.disableSSL ?? false, credentials: credentialPrecedence(st) }
        : st.provider === 'azure' ? { account: st.account && azureEmbeddedSecrets(st).length ? st.account.replace(/((?:AccountKey|SharedAccessSignature)=)[^;]*/gi, '$1<redacted>').replace(/([?&]sig=)[^&;]*/g, '$1<redacted>') : st.account ?? null, endpoint: st.endpoint ?? null, domainSuffix: st.domainSuffix ?? null, azureAuth: st.azureAuth ?? null }
          : { projectId: st.projectId ?? null, endpoint: st.endpoint ?? null }),
    };
    const fails: Problem[] = [];
    const warns: Problem[] = [];
    // a bucket name the store refuses or reads as another (s3://b, b/prefix, capitals): the SDKs refuse some before sending
    for (const field of ['metadataBucket', 'userDataBucket'] as const) {
      const name = st[field];
      if (name === '') {
        const key = storageKey(st, field);
        fails.push({ id: 'invalidBucketName', cause: cause.config(key), msg: `${key} is set to "" (an empty string replaces the chart's default; only null removes a key): the chart renders the raw data prefix ${scheme}:///data, with no bucket, and every task's output write fails`, hint: `set ${key} to the raw data bucket${st.metadataBucket ? ` (the metadata bucket, ${st.metadataBucket}, serves too)` : ''}; removing the key gives the chart's example name, not a bucket of yours` });
        continue;
      }
      // (a placeholder, `<BUCKET>`, is values.inputs.placeholders' finding)
      if (!name || (field === 'userDataBucket' && name === st.metadataBucket) || placeholderTokens(name).length || name.includes('{{')) continue;
      const bad = bucketNameProblem(scheme === 'gs' ? 'gcs' : scheme === 'abfs' ? 'azure' : 's3', name);
      if (!bad) continue;
      const key = storageKey(st, field);
      fails.push({
        id: 'invalidBucketName', cause: cause.config(key),
        msg: `the ${field === 'metadataBucket' ? 'metadata' : 'raw data'} ${st.provider === 'azure' ? 'container' : 'bucket'} ${JSON.stringify(name)} (${key}) ${bad.why}: ${st.provider === 'gcs' ? 'GCS' : st.provider === 'azure' ? 'Azure Blob' : 'the store'} refuses it, and Flyte cannot read or write its data`,
        hint: bad.meant ? `${storageFix(t, field, bad.meant) ?? `set ${key}: ${bad.meant}`}` : `set ${key} to the ${st.provider === 'azure' ? 'container' : 'bucket'}'s name as the store lists it (${bad.allowed})`,
      });
    }
    if (!st.metadataBucket) fails.push({ id: 'noMetadataBucket', msg: 'no metadata bucket configured (Flyte\'s storage.container is required)', hint: `set ${storageKey(st, 'metadataBucket')}`, cause: cause.config(storageKey(st, 'metadataBucket')) });
    if (st.rawOutputPrefix) {
      const mm = /^([a-z0-9]+):\/\//i.exec(st.rawOutputPrefix);
      if (!mm || !schemeOk(mm[1]!)) fails.push({ id: 'rawPrefixScheme', msg: `raw output prefix ${st.rawOutputPrefix} does not use ${scheme}:// for provider ${st.provider}`, hint: `set ${storageKey(st, 'userDataBucket')} to ${scheme}://<bucket>/<path>` });
      else if (st.userDataBucket && bucketFromUrl(st.rawOutputPrefix) !== st.userDataBucket) warns.push({ id: 'rawPrefixBucket', msg: `raw output prefix ${st.rawOutputPrefix} names another bucket than the userdata bucket ${st.userDataBucket}`, hint: `make ${storageKey(st, 'userDataBucket')} and the raw output prefix agree` });
    }
    if (st.provider === 's3') {
      const authKey = storageKey(st, 'authType');
      if (st.authType === 'accesskey' && (!st.accessKey || !st.secretKey)) fails.push({ id: 'missingKeys', msg: `authType is accesskey but ${!st.accessKey ? 'the access key' : 'the secret key'} is not set`, hint: `set ${storageKey(st, !st.accessKey ? 'accessKey' : 'secretKey')}, or use authType: iam (IRSA)`, cause: cause.config(storageKey(st, !st.accessKey ? 'accessKey' : 'secretKey')) });
      if (st.authType !== 'accesskey' && st.authType !== 'iam') fails.push({ id: 'badAuthType', msg: `authType ${st.authType} is not valid for S3 (iam or accesskey)`, hint: `set ${authKey} to iam or accesskey` });
      if (st.authType === 'iam' && st.accessKey) warns.push({ id: 'keysIgnored', msg: `access keys are set (${storageKey(st, 'accessKey')}) but authType is iam: Flyte ignores them and uses its pods' identity (IRSA), and flyte-doctor uses this machine's AWS credentials`, hint: `${storageFix(t, 'authType', 'accesskey') ?? `set ${authKey}: accesskey`} to use the keys, or remove them and give Flyte's service account an IAM role (IRSA)`, cause: cause.config(authKey) });
      // The access key id and the region are written into the Authorization header (Credential=<key>/
      // <date>/<region>/s3/aws4_request): a control character there (a value written as a YAML block
      // scalar, a Secret made with `echo`) makes Go's net/http refuse every request ("invalid header
      // field value"); a space around the region makes the signing scope wrong.
      // A region is a name like us-east-1 (a DNS label): a URL, a port or a path there ("https://us-east-1")
      // is refused by the SDKs ("Region not accepted") or signs every request for a region that does not exist.
      if (st.region && st.region === st.region.trim() && !headerUnsafe(st.region) && !/\s/.test(st.region) && !/^[A-Za-z0-9-]+$/.test(st.region)) {
        const key = storageKey(st, 'region');
        const meant = nameInside(st.region).toLowerCase();
        const ok = /^[a-z0-9-]+$/.test(meant);
        fails.push({
          id: 'invalidRegion', cause: cause.config(key),
          msg: `the region ${JSON.stringify(st.region)} (${key}) is not a region name (letters, digits and '-', e.g. us-east-1): the S3 clients refuse it ("Region not accepted") or sign every request for a region that does not exist`,
          hint: ok ? `${storageFix(t, 'region', meant) ?? `set ${key}: ${meant}`} (the endpoint has its own key: ${storageKey(st, 'endpoint')})` : `set ${key} to the buckets' region (e.g. us-east-1)`,
        });
      }
      for (const [field, v, what] of [['accessKey', st.authType === 'accesskey' ? st.accessKey : undefined, 'the access key id'], ['region', st.region, 'the region']] as const) {
        if (v === undefined) continue;
        const ws = surroundingWhitespace(v);
        const bad = headerUnsafe(v);
        const inner = field === 'region' && /\s/.test(v.trim()) ? 'contains whitespace' : undefined;
        if (!bad && (field === 'accessKey' || (!ws && !inner))) continue; // whitespace in a key: the store answers InvalidAccessKeyId (storage.s3.bucket says so)
        const key = storageKey(st, field);
        const how = ws ?? bad ?? inner!;
        fails.push({
          id: 'unsendableValue', cause: cause.config(key),
          msg: `${what}${field === 'region' ? ` ${JSON.stringify(v)}` : ''} (${key}) ${how}: it goes into the Authorization header of every S3 request, ${bad ? 'which Flyte\'s client (Go net/http: "invalid header field value") cannot send' : 'so the signature is scoped to a region that does not exist and S3 rejects every request'}`,
          hint: field === 'accessKey' ? `${changeHint(t, 'storage.accessKey', key, 'the access key id')} with nothing around it (a YAML block scalar \`|\` or a file written by \`echo\` adds a newline: use \`printf '%s'\`)` : inner ? changeHint(t, 'storage.region', key, "the buckets' region, without whitespace (e.g. us-east-1)") : `${storageFix(t, 'region', v.trim()) ?? `set ${key}: ${v.trim()}`}, with nothing around it`,
        });
      }
      if (!st.endpoint && !st.region) fails.push({ id: 'noRegion', msg: 'AWS S3 without a region', hint: `set ${storageKey(st, 'region')} to the buckets' region` });
      if (st.endpoint) {
        const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint);
        let url: URL | undefined;
        const ep = storageKey(st, 'endpoint');
        const twice = schemeTwice(st.endpoint);
        if (twice) fails.push({ id: 'badEndpoint', cause: cause.config(ep), msg: `the endpoint ${JSON.stringify(st.endpoint)} (${ep}) has the scheme twice: Flyte's storage client (Go) reads "${twice.dialed}" as the host name and dials a host named ${twice.dialed}`, hint: `${storageFix(t, 'endpoint', twice.meant) ?? `set ${ep}: ${twice.meant}`}` });
        else try { url = new URL(effectiveEndpoint(st)); } catch { fails.push({ id: 'badEndpoint', msg: `endpoint ${st.endpoint} is not a URL`, hint: `set ${ep} to e.g. http://minio.flyte.svc.cluster.local:9000`, cause: cause.config(ep) }); }
        if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fails.push({ id: 'badEndpoint', msg: `endpoint ${st.endpoint} uses ${url.protocol}; expected http or https`, hint: `set ${ep} to http(s)://host:port`, cause: cause.config(ep) });
        if (url && hasScheme && (url.protocol === 'http:') !== !!st.disableSSL ) warns.push({ id: 'sslFlagMismatch', msg: `endpoint ${st.endpoint} is ${url.protocol.slice(0, -1)} but disableSSL is ${!!st.disableSSL}: Flyte's backend follows the scheme, clients that build the URL from disableSSL use ${st.disableSSL ? 'http' : 'https'}`, hint: `make ${ep} and ${storageKey(st, 'disableSSL')} agree on what the port speaks (storage.s3.endpoint shows whether it answers ${url.protocol.slice(0, -1)})` });
        if (!hasScheme) warns.push({ id: 'endpointNoScheme', msg: `endpoint ${st.endpoint} has no scheme; ${shownEndpoint(st)} is assumed from disableSSL`, hint: `write the scheme in ${ep} (${shownEndpoint(st)})` });
      }
    }
    if (st.provider === 'azure' && !st.account) {
      fails.push({ id: 'noAccount', msg: 'Azure Blob storage without a storage account name', hint: `set ${storageKey(st, 'account')} to the storage account`, cause: cause.config(storageKey(st, 'account')) });
    }
    // Without a custom endpoint the account is the first label of https://<account>.blob.<suffix> and
    // the name in every Shared Key signature: a URL, a host name or a connection string there makes
    // a host that does not exist; capitals sign for "/MyAcct/..." where Azure signs "/myacct/..."
    // (AuthenticationFailed, which reads as a wrong key). Emulators (a custom endpoint) take any name.
    if (st.provider === 'azure' && st.account && !st.endpoint && !/^[a-z0-9]{3,24}$/.test(st.account)) {
      const key = storageKey(st, 'account');
      const a = st.account;
      const fromConn = /(?:^|;)\s*AccountName=([^;]+)/i.exec(a)?.[1]?.trim();
      const hostLike = /^[a-z][a-z0-9+.-]*:\/\//i.test(a) ? (() => { try { return new URL(a).hostname; } catch { return undefined; } })() : /\./.test(a) ? a.split('/')[0] : undefined;
      const suffix = hostLike ? /^[^.]+\.(?:blob|dfs)\.(.+)$/i.exec(hostLike)?.[1]?.toLowerCase() : undefined;
      const meant = (fromConn ?? (hostLike ? hostLike.split('.')[0]! : a)).trim().toLowerCase();
      const ok = /^[a-z0-9]{3,24}$/.test(meant);
      const what = fromConn ? 'a connection string' : hostLike ? `a ${/:\/\//.test(a) ? 'URL' : 'host name'}` : /[A-Z]/.test(a) && /^[A-Za-z0-9]{3,24}$/.test(a) ? 'written with capitals' : /-|_/.test(a) ? 'holds a dash or underscore' : a.length < 3 || a.length > 24 ? `${a.length} characters long` : 'holds characters an account name cannot';
      const shown = fromConn ? '(a connection string)' : JSON.stringify(a);
      const domain = st.domainSuffix ?? 'core.windows.net';
      fails.push({
        id: 'invalidAccountName', cause: cause.config(key),
        msg: `the storage account ${shown} (${key}) is ${what.startsWith('a ') ? what : `not an account name: it is ${what}`}: Azure account names are 3-24 lower-case letters and digits; Flyte dials https://<account>.blob.${domain} and signs every request with that name, so ${hostLike || fromConn ? 'it dials a host that does not exist' : 'Azure refuses the requests (AuthenticationFailed, though the key may be right)'}`,
        hint: ok ? `${storageFix(t, 'account', meant) ?? `set ${key}: ${meant}`}${suffix && suffix !== domain ? `, and ${storageFix(t, 'domainSuffix', suffix) ?? `set ${storageKey(st, 'domainSuffix')}: ${suffix}`}` : ''}${fromConn ? ' (the key of the connection string goes into its own key)' : ''}` : `set ${key} to the storage account's name as \`az storage account list --query "[].name"\` prints it`,
      });
    }
    if (st.provider === 'gcs' && st.authType === 'keyfile' && (!st.keyFile || !existsSync(st.keyFile))) {
      fails.push({ id: 'keyFileMissing', msg: `GCS key file ${st.keyFile ?? '(unset)'} is not readable here`, hint: `point ${storageKey(st, 'keyFile')} at the service-account JSON key, or use Workload Identity (adc)`, cause: cause.config(storageKey(st, 'keyFile')) });
    }
    const all = [...fails, ...warns];
    if (fails.length) return { status: 'fail', messageId: fails[0]!.id, ...(fails[0]!.cause ? { cause: fails[0]!.cause } : {}), message: all.map((f) => f.msg).join('; '), hint: all.map((f) => f.hint).join('; '), details: { ...details, problems: all.map((f) => f.id) } };
    if (warns.length) return { status: 'warn', messageId: warns[0]!.id, ...(warns[0]!.cause ? { cause: warns[0]!.cause } : {}), message: warns.map((f) => f.msg).join('; '), hint: warns.map((f) => f.hint).join('; '), details: { ...details, problems: warns.map((f) => f.id) } };
    const buckets = st.metadataBucket === ud ? `${scheme}://${st.metadataBucket} (metadata and raw data)` : `${scheme}://${st.metadataBucket} (metadata), ${scheme}://${ud} (raw data)`;
    const where = st.provider === 's3' ? (st.endpoint ? `S3-compatible at ${shownEndpoint(st)}` : `AWS S3 in ${st.region}`) : st.provider === 'azure' ? `Azure Blob account ${st.account ?? '(unset)'}${st.endpoint ? ` at ${st.endpoint}` : ''}` : 'GCS';
    return { status: 'pass', messageId: 'coherent', message: `${where}, ${buckets}, auth ${st.provider === 'azure' ? (st.azureAuth === 'key' ? 'account key' : st.azureAuth === 'sas' ? 'SAS token' : 'Azure AD (workload identity / default chain)') : st.authType}`, details };
  },
});
