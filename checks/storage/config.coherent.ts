import { existsSync } from 'node:fs';
import { bucketFromUrl, effectiveEndpoint, storageKey, userDataBucketOf } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.config.coherent',
  title: 'The object store configuration is complete and coherent',
  phases: ['preflight', 'verify'],
  needs: ['storage'],
  writes: 'none',
  explain: {
    what: 'Reads the storage settings from the values: provider, metadata and raw-data buckets (`metadataContainer`/`userDataContainer`, flyte-core `bucketName` and `rawoutput-prefix`), endpoint, region, path-style addressing, `disableSSL` and the credentials mode, and checks they fit together. Azure and other providers are skipped with the reason.',
    why: 'A missing bucket name, a raw-output prefix with the wrong scheme, `authType: accesskey` without keys, or an endpoint whose scheme contradicts `disableSSL` break Flyte at start or at the first task.',
    fix: 'Set the named values key.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    if (st.provider === 'azure' || st.provider === 'other') {
      return { status: 'skip', messageId: 'unsupportedProvider', message: `storage provider ${st.rawType ?? st.provider} is not supported by flyte-doctor yet (S3, S3-compatible and GCS are); the object store was not checked`, details: { provider: st.provider, rawType: st.rawType ?? null } };
    }
    const scheme = st.provider === 'gcs' ? 'gs' : 's3';
    const ud = userDataBucketOf(st);
    const details: Record<string, Json> = {
      provider: st.provider, rawType: st.rawType ?? null, metadataBucket: st.metadataBucket ?? null, userDataBucket: ud ?? null,
      rawOutputPrefix: st.rawOutputPrefix ?? null, authType: st.authType,
      ...(st.provider === 's3' ? { endpoint: effectiveEndpoint(st), customEndpoint: !!st.endpoint, region: st.region ?? null, forcePathStyle: st.forcePathStyle ?? !!st.endpoint, disableSSL: st.disableSSL ?? false } : { projectId: st.projectId ?? null, endpoint: st.endpoint ?? null }),
    };
    const fails: { id: string; msg: string; hint: string }[] = [];
    const warns: { id: string; msg: string; hint: string }[] = [];
    if (!st.metadataBucket) fails.push({ id: 'noMetadataBucket', msg: 'no metadata bucket configured (Flyte\'s storage.container is required)', hint: `set ${storageKey(st, 'metadataBucket')}` });
    if (st.rawOutputPrefix) {
      const m = /^([a-z0-9]+):\/\//i.exec(st.rawOutputPrefix);
      if (!m || m[1] !== scheme) fails.push({ id: 'rawPrefixScheme', msg: `raw output prefix ${st.rawOutputPrefix} does not use ${scheme}:// for provider ${st.provider}`, hint: `set ${storageKey(st, 'userDataBucket')} to ${scheme}://<bucket>/<path>` });
      else if (st.userDataBucket && bucketFromUrl(st.rawOutputPrefix) !== st.userDataBucket) warns.push({ id: 'rawPrefixBucket', msg: `raw output prefix ${st.rawOutputPrefix} names another bucket than the userdata bucket ${st.userDataBucket}`, hint: `make ${storageKey(st, 'userDataBucket')} and the raw output prefix agree` });
    }
    if (st.provider === 's3') {
      if (st.authType === 'accesskey' && (!st.accessKey || !st.secretKey)) fails.push({ id: 'missingKeys', msg: `authType is accesskey but ${!st.accessKey ? 'the access key' : 'the secret key'} is not set`, hint: `set ${storageKey(st, !st.accessKey ? 'accessKey' : 'secretKey')}, or use authType: iam (IRSA)` });
      if (st.authType !== 'accesskey' && st.authType !== 'iam') fails.push({ id: 'badAuthType', msg: `authType ${st.authType} is not valid for S3 (iam or accesskey)`, hint: `set ${storageKey(st, 'authType')} to iam or accesskey` });
      if (st.authType === 'iam' && st.accessKey) warns.push({ id: 'keysIgnored', msg: 'access keys are set but authType is iam, so they are ignored', hint: `set ${storageKey(st, 'authType')}: accesskey to use them, or remove them` });
      if (!st.endpoint && !st.region) fails.push({ id: 'noRegion', msg: 'AWS S3 without a region', hint: `set ${storageKey(st, 'region')} to the buckets' region` });
      if (st.endpoint) {
        const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint);
        let url: URL | undefined;
        try { url = new URL(effectiveEndpoint(st)); } catch { fails.push({ id: 'badEndpoint', msg: `endpoint ${st.endpoint} is not a URL`, hint: `set ${storageKey(st, 'endpoint')} to e.g. http://minio.flyte.svc.cluster.local:9000` }); }
        if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fails.push({ id: 'badEndpoint', msg: `endpoint ${st.endpoint} uses ${url.protocol}; expected http or https`, hint: `set ${storageKey(st, 'endpoint')} to http(s)://host:port` });
        if (url && hasScheme && (url.protocol === 'http:') !== !!st.disableSSL) warns.push({ id: 'sslFlagMismatch', msg: `endpoint ${st.endpoint} is ${url.protocol.slice(0, -1)} but disableSSL is ${!!st.disableSSL}; clients that build the URL from disableSSL (flytekit in task pods) will use ${st.disableSSL ? 'http' : 'https'}`, hint: `set ${storageKey(st, 'disableSSL')}: ${url.protocol === 'http:'}` });
        if (!hasScheme) warns.push({ id: 'endpointNoScheme', msg: `endpoint ${st.endpoint} has no scheme; ${effectiveEndpoint(st)} is assumed from disableSSL`, hint: `write the scheme in ${storageKey(st, 'endpoint')}` });
      }
    }
    if (st.provider === 'gcs' && st.authType === 'keyfile' && (!st.keyFile || !existsSync(st.keyFile))) {
      fails.push({ id: 'keyFileMissing', msg: `GCS key file ${st.keyFile ?? '(unset)'} is not readable here`, hint: `point ${storageKey(st, 'keyFile')} at the service-account JSON key, or use Workload Identity (adc)` });
    }
    if (fails.length) return { status: 'fail', messageId: fails[0]!.id, message: [...fails, ...warns].map((f) => f.msg).join('; '), hint: [...fails, ...warns].map((f) => f.hint).join('; '), details: { ...details, problems: [...fails, ...warns].map((f) => f.id) } };
    if (warns.length) return { status: 'warn', messageId: warns[0]!.id, message: warns.map((f) => f.msg).join('; '), hint: warns.map((f) => f.hint).join('; '), details: { ...details, problems: warns.map((f) => f.id) } };
    const buckets = st.metadataBucket === ud ? `${scheme}://${st.metadataBucket} (metadata and raw data)` : `${scheme}://${st.metadataBucket} (metadata), ${scheme}://${ud} (raw data)`;
    return { status: 'pass', messageId: 'coherent', message: `${st.provider === 's3' ? (st.endpoint ? `S3-compatible at ${effectiveEndpoint(st)}` : `AWS S3 in ${st.region}`) : 'GCS'}, ${buckets}, auth ${st.authType}`, details };
  },
});
