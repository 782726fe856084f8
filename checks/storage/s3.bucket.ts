import { bucketFor, bucketInstances, grantHint, s3ClientFor, s3ErrorOf, s3OpFailure, storageKey } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.bucket',
  title: 'The bucket exists and is in the configured region',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.endpoint'],
  instances: bucketInstances,
  writes: 'none',
  explain: {
    what: 'GetBucketLocation (falls back to HeadBucket when denied) on each configured bucket, and compares the bucket\'s region with the configured one.',
    why: 'Flyte loads its container with create-if-missing: a missing bucket becomes a CreateBucket call the role may not make; a bucket in another region answers PermanentRedirect; AccessDenied means the identity cannot even look at it.',
    fix: 'Create the bucket beforehand, set the right region, or grant the identity access to the bucket.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const client = await s3ClientFor(ctx);
    const { GetBucketLocationCommand, HeadBucketCommand } = await import('@aws-sdk/client-s3');
    const configured = st.region ?? 'us-east-1';
    const regionKey = storageKey(st, 'region');
    const wrongRegion = (actual: string | undefined, how: string): Outcome => ({
      status: 'fail', messageId: 'wrongRegion', message: `bucket ${bucket} is ${actual ? `in region ${actual}` : 'in another region'}, the config says ${configured} (${how})`,
      hint: `set ${regionKey}: ${actual ?? '<the bucket\'s region>'}`, details: { bucket, configuredRegion: configured, bucketRegion: actual ?? null },
    });
    const notFound = (): Outcome => ({
      status: 'fail', messageId: 'noSuchBucket', message: `bucket ${bucket} does not exist (NoSuchBucket); Flyte would try CreateBucket at start, which its role usually may not do`,
      hint: `create it beforehand (aws s3 mb s3://${bucket}${st.endpoint ? ' --endpoint-url ' + st.endpoint : ''} --region ${configured}), or fix ${storageKey(st, ctx.instance?.key === 'userdata' ? 'userDataBucket' : 'metadataBucket')}`,
      details: { bucket },
    });
    const classify = (raw: unknown): Outcome | undefined => {
      const e = s3ErrorOf(raw);
      if (e.name === 'NoSuchBucket' || e.status === 404) return notFound();
      if (e.name === 'PermanentRedirect' || e.status === 301) return wrongRegion(e.region, 'PermanentRedirect');
      if (e.name === 'AuthorizationHeaderMalformed' || e.name === 'IllegalLocationConstraintException') {
        const m = /expecting '([a-z0-9-]+)'/.exec(e.message);
        return wrongRegion(m?.[1] ?? e.region, e.name);
      }
      if (!(e.status === 403 || e.name === 'AccessDenied')) {
        const f = s3OpFailure(st, bucket, 'GetBucketLocation', 's3:GetBucketLocation', false, e);
        if (f) return f;
        throw raw;
      }
      return undefined;
    };
    try {
      const r = await client.send(new GetBucketLocationCommand({ Bucket: bucket }), { abortSignal: ctx.signal });
      const loc = r.LocationConstraint as string | undefined;
      const actual = !loc ? 'us-east-1' : loc === 'EU' ? 'eu-west-1' : loc;
      if (st.region && actual !== st.region && !(st.endpoint && !loc)) return wrongRegion(actual, 'GetBucketLocation');
      return { status: 'pass', messageId: 'exists', message: `bucket ${bucket} exists in ${actual}`, details: { bucket, region: actual, configuredRegion: configured } };
    } catch (e1) {
      const o = classify(e1);
      if (o) return o;
    }
    // GetBucketLocation denied: HeadBucket needs s3:ListBucket.
    try {
      const h = await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: ctx.signal });
      const actual = (h as { BucketRegion?: string }).BucketRegion;
      if (actual && st.region && actual !== st.region) return wrongRegion(actual, 'HeadBucket');
      return { status: 'warn', messageId: 'locationDenied', message: `bucket ${bucket} exists (HeadBucket), but GetBucketLocation is denied: missing s3:GetBucketLocation`, hint: grantHint(st, 's3:GetBucketLocation', bucket, false), details: { bucket, permission: 's3:GetBucketLocation' } };
    } catch (e2) {
      const o = classify(e2);
      if (o) return o;
      return { status: 'fail', messageId: 'accessDenied', message: `access to bucket ${bucket} denied (AccessDenied on GetBucketLocation and HeadBucket): missing s3:ListBucket and s3:GetBucketLocation, or the bucket belongs to another account`, hint: `${grantHint(st, 's3:ListBucket', bucket, false)}; also check the bucket policy and that ${bucket} is this account's bucket`, details: { bucket, permission: 's3:ListBucket' } };
    }
  },
});
