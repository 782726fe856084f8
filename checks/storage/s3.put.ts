import { probeState, recordVersion, registerS3Cleanup, S3ProbeError, s3Identity, s3Send, type ProbeBucket } from '../../src/clients/s3.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json } from '../../src/engine/types.js';
import { bucketInstances, flyteIdentityText, shownEndpoint, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, contentMd5, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.put',
  title: 'Flyte\'s identity may write objects (s3:PutObject)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.bucket'],
  instances: bucketInstances,
  writes: 'probe-object',
  messages: {
    written: { status: 'pass', summary: 'The probe object was written and the store answered as S3 (ETag, request id).' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Writes one small probe object under `flyte-doctor/<run-id>/` (never elsewhere) and requires an S3 answer (an ETag and S3 headers; an HTML page or an empty 204 from something else is not a write). It is deleted at the end of the run, also on failure, timeout and Ctrl-C, and the run reports anything that may remain.',
    why: 'Flyte writes workflow metadata and task outputs; without s3:PutObject every execution fails. Bucket policies that require SSE-KMS headers also show up here.',
    fix: 'Grant s3:PutObject on arn:aws:s3:::<bucket>/* to the Flyte identity; with KMS default encryption also kms:GenerateDataKey.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'PutObject', action: 's3:PutObject', objectLevel: true, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const state = await probeState(ctx, 's3', bucket);
    const { PutObjectCommand } = await import('../../src/sdk/aws.js');
    state.keys.add(state.probeKey);
    registerS3Cleanup(ctx, state); // before the write: an abort mid-request still cleans up
    const who = s3Who(st, id);
    try {
      const { answer } = await s3Send<{ ETag?: string }>(ctx, 'PutObject', new PutObjectCommand({ Bucket: bucket, Key: state.probeKey, Body: state.body, ContentType: 'text/plain', ContentMD5: contentMd5(state.body) }));
      recordVersion(state, state.probeKey, answer.headers);
      const etag = answer.headers.etag;
      const details = { bucket, key: state.probeKey, bytes: state.body.length, etag: etag ?? null, httpStatus: answer.status, ...who.details };
      // S3 answers a PUT with an ETag and an empty body; an HTML page or an empty 204 is something else.
      if (!etag || !(answer.s3 || answer.body.length === 0) || /<html/i.test(answer.body.subarray(0, 2048).toString('utf8'))) return s3NotS3(ctx, answer, `PutObject on s3://${bucket}`, details);
      return { status: 'pass', messageId: 'written', message: `wrote s3://${bucket}/${state.probeKey} (${state.body.length} bytes, ETag ${etag})${who.suffix}`, details };
    } catch (e) {
      const out = await s3Failure(ctx, op, e, id);
      // Flyte's own identity only: a Deny in this machine's identity policy (authType iam from here) says nothing about Flyte's
      if (out.messageId !== 'permissionDenied') return out;
      // A Deny conditioned on an encryption header (s3:x-amz-server-side-encryption) refuses the plain
      // write with the same bare AccessDenied as a missing grant (MinIO, Ceph, cross-account AWS say
      // no more): the same write with the header tells them apart. Flyte sends no such header.
      const allowed = await encryptionHeaderAllowed(ctx, state, bucket);
      if (!allowed) return out;
      const d = out.details as Record<string, Json>;
      return {
        status: 'fail', messageId: 'kmsDenied', cause: cause.config(`s3-encryption-header:${bucket}`),
        message: `PutObject on s3://${bucket} without an encryption header is denied (${d.httpStatus ?? 403} ${d.code ?? 'AccessDenied'}${d.serverMessage ? `: ${d.serverMessage}` : ''}), the same write with x-amz-server-side-encryption: ${allowed.sse} passes the policy (${allowed.said}): a policy Deny requires the header, and Flyte's S3 client never sends it; s3:PutObject itself is granted`,
        hint: `remove the Deny on s3:PutObject conditioned on s3:x-amz-server-side-encryption from the ${ctx.target.storage!.endpoint ? 'policy of the user of the key (MinIO: mc admin policy info) or the bucket policy' : `bucket policy of ${bucket} (aws s3api get-bucket-policy --bucket ${bucket}) or the policy of ${flyteIdentityText(ctx.target.storage!)}`}, and encrypt by default instead: ${ctx.target.storage!.endpoint ? `mc encrypt set sse-s3 <alias>/${bucket}` : `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"${allowed.sse}"}}]}'`}${ctx.target.storage!.endpoint ? ` (endpoint ${shownEndpoint(ctx.target.storage!)})` : ''}${allowed.noKms ? '; the store has no KMS configured (it said so), which default encryption needs too (MinIO: MINIO_KMS_SECRET_KEY or a KES server)' : ''}`,
        details: { ...d, requiredHeader: `x-amz-server-side-encryption: ${allowed.sse}`, withHeader: allowed.said },
      };
    }
  },
});

/**
 * After an AccessDenied on the plain write: the same write with x-amz-server-side-encryption AES256
 * and aws:kms (in parallel, under the run's prefix, cleaned up with the rest). The policy passed if
 * the store wrote it, or refused it for a reason that comes after authorization (MinIO without KMS
 * answers NotImplemented; a KMS error code). Another AccessDenied, anything else, or no time left:
 * undefined (the plain finding stands).
 */
async function encryptionHeaderAllowed(ctx: CheckContext, state: ProbeBucket, bucket: string): Promise<{ sse: string; said: string; noKms?: boolean } | undefined> {
  const left = ctx.remainingMs() - 1500;
  if (left < 600) return undefined;
  const { PutObjectCommand } = await import('../../src/sdk/aws.js');
  const tries = await Promise.all((['AES256', 'aws:kms'] as const).map(async (sse) => {
    const key = `${state.prefix}sse-${sse === 'AES256' ? 'aes256' : 'kms'}-probe.txt`;
    state.keys.add(key); // before the write: the cleanup deletes it whatever happens
    try {
      const { answer } = await s3Send(ctx, 'PutObject', new PutObjectCommand({ Bucket: bucket, Key: key, Body: state.body, ContentType: 'text/plain', ContentMD5: contentMd5(state.body), ServerSideEncryption: sse }), { timeoutMs: Math.min(3000, left) });
      recordVersion(state, key, answer.headers);
      return answer.s3 && answer.headers.etag ? { sse, said: `HTTP ${answer.status}, written` } : undefined;
    } catch (e) {
      const a = e instanceof S3ProbeError ? e.answer : undefined;
      if (!a?.s3 || !a.code) return undefined;
      if (a.code === 'NotImplemented' && /KMS|encryption/i.test(a.message ?? '') || a.code.startsWith('KMS.') || /^(KMS|XMinioKMS)/.test(a.code)) return { sse, said: `the store then answered HTTP ${a.status} ${a.code}${a.message ? `: ${a.message.slice(0, 160)}` : ''}, a refusal that comes after the policy`, ...(/not configured/i.test(a.message ?? '') ? { noKms: true } : {}) };
      return undefined;
    }
  }));
  return tries.find((x) => !!x);
}
