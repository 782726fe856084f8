// Checks of area 'storage', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import azureContainer from './azure.container.js';
import azureDelete from './azure.delete.js';
import azureGet from './azure.get.js';
import azureList from './azure.list.js';
import azurePut from './azure.put.js';
import azureSignedUrl from './azure.signed-url.js';
import config from './config.coherent.js';
import gcsBucket from './gcs.bucket.js';
import gcsDelete from './gcs.delete.js';
import gcsGet from './gcs.get.js';
import gcsList from './gcs.list.js';
import gcsPut from './gcs.put.js';
import gcsSignedUrl from './gcs.signed-url.js';
import s3Bucket from './s3.bucket.js';
import s3ClockSkew from './s3.clock-skew.js';
import s3Delete from './s3.delete.js';
import s3Endpoint from './s3.endpoint.js';
import s3Get from './s3.get.js';
import s3List from './s3.list.js';
import s3Put from './s3.put.js';
import s3SignedUrl from './s3.signed-url.js';

export const checks: readonly Check[] = [
  azureContainer, azureDelete, azureGet, azureList, azurePut, azureSignedUrl,
  config, gcsBucket, gcsDelete, gcsGet, gcsList, gcsPut, gcsSignedUrl,
  s3Bucket, s3ClockSkew, s3Delete, s3Endpoint, s3Get, s3List, s3Put, s3SignedUrl,
];
