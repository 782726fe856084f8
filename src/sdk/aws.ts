// The AWS SDK as flyte-doctor uses it: only these names. The bundle of the AWS group
// (dist/sdk/aws.cjs, scripts/build.mjs) is built from this file, so that esbuild leaves out the
// ~100 S3 commands and the aggregated S3 client no check uses; their module set-up cost ~10-20 ms
// of every run that reaches an S3 check. Import the SDK through this file (a dynamic import()), and
// add a name here when a check needs one more.
export {
  S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  GetBucketLocationCommand, HeadBucketCommand, ListBucketsCommand,
} from '@aws-sdk/client-s3';
export { getSignedUrl } from '@aws-sdk/s3-request-presigner';
export { NodeHttpHandler } from '@smithy/node-http-handler';
