import { s3Identity, s3Send, S3ProbeError, type S3Answer } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';
import { bucketInstances, probePrefixRoot, s3GrantHint, storageKey, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_CHECK_HERE, cannotProbeWarn, regionFailure, S3_FAILURES, s3Failure, s3NotS3, s3Who, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.bucket',
  title: 'The bucket exists and is in the configured region',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.endpoint'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    exists: { status: 'pass', summary: 'The bucket exists in the configured region.' },
    locationDenied: { status: 'warn', summary: 'The bucket exists (HeadBucket or a listing works), but s3:GetBucketLocation is denied, so the region could not be compared.' },
    ...CANNOT_CHECK_HERE,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Resolves whose credentials the probes use (the values\' access key, or with authType iam this machine\'s default chain), then GetBucketLocation on each configured bucket (HeadBucket when that is denied, and a listing when HeadBucket\'s 403 carries no error code), and compares the bucket\'s region with the configured one. Every S3 error code is its own finding: wrong secret key, unknown or disabled key, expired token, clock, region, missing bucket, permission.',
    why: 'Flyte loads its container with create-if-missing: a missing bucket becomes a CreateBucket call the role may not make; a bucket in another region answers PermanentRedirect; rejected credentials or a missing permission stop admin and datacatalog at start.',
    fix: 'Create the bucket beforehand, set the right region, fix the access key / secret key, or grant the identity access to the bucket.',
  },
  async run(ctx) {
    const here = cannotProbeWarn(ctx, 'storage.s3.endpoint');
    if (here) return here;
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'GetBucketLocation', action: 's3:GetBucketLocation', objectLevel: false, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const who = s3Who(st, id);
    const { GetBucketLocationCommand, HeadBucketCommand, ListObjectsV2Command, ListBucketsCommand } = await import('../../src/sdk/aws.js');
    const configured = st.region ?? 'us-east-1';
    const details = { bucket, configuredRegion: configured, ...who.details };
    try {
      const { output, answer } = await s3Send<{ LocationConstraint?: string }>(ctx, 'GetBucketLocation', new GetBucketLocationCommand({ Bucket: bucket }));
      if (!answer.s3 || !/<LocationConstraint/.test(answer.body.toString('utf8'))) return s3NotS3(ctx, answer, `GetBucketLocation on s3://${bucket}`, details);
      const loc = output.LocationConstraint as string | undefined;
      const actual = !loc ? 'us-east-1' : loc === 'EU' ? 'eu-west-1' : loc;
      if (st.region && actual !== st.region && !(st.endpoint && !loc)) return regionFailure(ctx.target, op, actual, 'GetBucketLocation', details);
      return { status: 'pass', messageId: 'exists', message: `bucket ${bucket} exists in ${actual}${who.suffix}`, details: { ...details, region: actual } };
    } catch (e1) {
      if (!(e1 instanceof S3ProbeError && e1.kind === 'answer' && e1.code === 'AccessDenied' && !/kms/i.test(e1.answer?.message ?? ''))) return s3Failure(ctx, op, e1, id);
    }
    // GetBucketLocation denied. HeadBucket needs s3:ListBucket; its 403 has no body, so a listing of
    // flyte-doctor/ (a GET) tells which error it is.
    const visible = (a: S3Answer, how: string): Outcome<'locationDenied' | 'notS3' | 'interceptedInFront' | 'plainToTlsPort' | 'serverError' | 'wrongRegion'> => {
      if (!a.s3) return s3NotS3(ctx, a, `${how} on s3://${bucket}`, details);
      if (a.region && st.region && a.region !== st.region && !st.endpoint) return regionFailure(ctx.target, op, a.region, how, details);
      return { status: 'warn', messageId: 'locationDenied', message: `bucket ${bucket} exists (${how}), but GetBucketLocation is denied for ${who.details.identity}: missing s3:GetBucketLocation, so its region was not compared`, hint: s3GrantHint(st, 's3:GetBucketLocation', bucket, false), details: { ...details, permission: 's3:GetBucketLocation' } };
    };
    let err: unknown;
    try {
      const { answer } = await s3Send(ctx, 'HeadBucket', new HeadBucketCommand({ Bucket: bucket }));
      return visible(answer, 'HeadBucket');
    } catch (e2) { err = e2; }
    if (err instanceof S3ProbeError && err.kind === 'answer' && !err.code && err.status === 403) {
      try {
        const { answer } = await s3Send(ctx, 'ListObjectsV2', new ListObjectsV2Command({ Bucket: bucket, Prefix: probePrefixRoot, MaxKeys: 1 }));
        return visible(answer, 'ListObjectsV2');
      } catch (e3) { err = e3; }
    }
    const out = await s3Failure(ctx, { ...op, op: 'GetBucketLocation and HeadBucket', action: 's3:ListBucket' }, err, id);
    if (out.messageId !== 'permissionDenied') return out;
    const denied = { ...out, message: `${out.message}; s3:GetBucketLocation is denied too, or the bucket belongs to another account` };
    // Every bucket request refused: one more look (ListBuckets) tells a key refused everything from
    // a few missing grants. On a custom store (MinIO, Ceph) ListBuckets answers the buckets a policy
    // lets the key see; AccessDenied there means the key may do nothing at all: a user without any
    // policy, or a MinIO service account whose parent user is disabled (its requests answer the same
    // bare AccessDenied, never "disabled"). AWS roles rarely hold s3:ListAllMyBuckets: not asked there.
    if (!st.endpoint || ctx.remainingMs() < 1500) return denied;
    try {
      await s3Send(ctx, 'ListBuckets', new ListBucketsCommand({}), { timeoutMs: Math.min(2000, ctx.remainingMs() - 800) });
      return denied;
    } catch (e4) {
      if (!(e4 instanceof S3ProbeError && e4.kind === 'answer' && e4.code === 'AccessDenied')) return denied;
    }
    const k = storageKey(st, 'accessKey');
    return {
      ...denied,
      message: `${denied.message}; ListBuckets is denied as well: the key may not list any bucket`,
      hint: `${out.hint}; if its policy grants these already, the key is refused everything: check that the key's user has a policy attached at all (MinIO: mc admin user info <alias> <user>) and, if the key in ${k} is a MinIO service account, that its parent user is enabled and has a policy (mc admin user svcacct info <alias> <access key>, then mc admin user enable <alias> <parent>)`,
      details: { ...(denied.details as Record<string, Json>), listBuckets: 'AccessDenied' },
    };
  },
});
