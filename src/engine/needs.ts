// Whether the target has the part a check needs; otherwise the reason it is skipped.
import type { Target } from '../config/target.js';
import type { Need } from './types.js';

export function missingNeed(target: Target, need: Need): string | undefined {
  switch (need) {
    case 'kubernetes':
      return undefined; // the kubeconfig is resolved by the kube client; kubernetes.config.load reports a missing one
    case 'database':
      return target.databases.length ? undefined : 'no database configured (values: configuration.database.* or db.admin.database.*)';
    case 'storage':
      return target.storage ? undefined : 'no object store configured (values: configuration.storage.* or storage.*)';
    case 'storage.s3':
      if (!target.storage) return 'no object store configured';
      return target.storage.provider === 's3' ? undefined : `storage provider is ${target.storage.provider}, not S3`;
    case 'storage.gcs':
      if (!target.storage) return 'no object store configured';
      return target.storage.provider === 'gcs' ? undefined : `storage provider is ${target.storage.provider}, not GCS`;
    case 'endpoint':
      return target.client.host || target.ingress?.grpcAddress ? undefined : 'no Flyte admin endpoint known (set admin.endpoint in the flytectl config, or --endpoint)';
    case 'ingress':
      return target.ingress?.httpUrl || target.ingress?.host ? undefined : 'no ingress host known (values ingress.host / common.ingress.host, --endpoint, or the flytectl endpoint)';
    case 'auth':
      return target.auth.enabled ? undefined : 'auth is not enabled (configuration.auth.enabled / configmap.adminServer.server.security.useAuth)';
  }
}
