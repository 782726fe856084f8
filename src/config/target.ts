// The one normalized target every check reads. Built by src/config/load.ts from
// flags > env > flytectl config > values files > chart defaults, with provenance for each field.
import type { Endpoints } from './endpoints.js';
import type { Secret } from './secret.js';
import type { UnknownKey } from '../flyte/chart-keys.js';

export type Chart = 'flyte-binary' | 'flyte-core';

/** Where a field's value came from, e.g. "values.yaml: configuration.database.host", "--endpoint", "chart default". */
export type Provenance = Record<string, string>;

export interface KubernetesTarget {
  /** Path of the kubeconfig file used (undefined: default loading rules, i.e. $KUBECONFIG or ~/.kube/config). */
  kubeconfigPath?: string;
  /** The kubeconfig files merged (kubectl's rules), absolute, in order. */
  kubeconfigFiles?: string[];
  context?: string;
  namespace: string;
  /** Helm release name (fullname of flyte-binary objects derives from it); default 'flyte-backend' for binary. */
  release: string;
}

export interface DatabaseTarget {
  /** Which Flyte component uses this database. */
  role: 'flyteadmin' | 'datacatalog';
  host: string;
  port: number;
  dbname: string;
  user: string;
  password?: Secret;
  /** Where the password came from, e.g. 'configuration.database.password', 'passwordPath /etc/db/pass.txt', 'env PGPASSWORD'. */
  passwordSource?: string;
  /** libpq sslmode parsed from `options` (e.g. "sslmode=require"); undefined means Flyte's default (disable in pgx? see docs). */
  sslmode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /**
   * An sslmode value in `options` that PostgreSQL does not know (e.g. `sslmode=requried`): kept here
   * (sslmode stays unset) so database.postgres.tls fails naming the key and the allowed values,
   * instead of the whole run exiting 2.
   */
  sslmodeInvalid?: string;
  /** The `key=value`s of `options` Flyte's driver (pgx) sends to the server as settings (src/config/libpq.ts runtimeParamsOf). */
  runtimeParams?: Record<string, string>;
  /** CA file for verify-ca / verify-full (sslrootcert in options). */
  sslrootcert?: string;
  /** Client certificate and key the driver presents (sslcert / sslkey in options), for pg_hba `cert` or clientcert=verify-*. */
  sslcert?: string;
  sslkey?: string;
  /** Values key prefix to name in hints: 'configuration.database' (binary), 'db.admin.database' / 'db.datacatalog.database' (core). */
  valuesKey: string;
  /** Flyte's connection pool size for this component (maxOpenConnections), used by the headroom check. */
  maxOpenConnections?: number;
}

export type StorageProvider = 's3' | 'gcs' | 'azure' | 'other';

export interface StorageTarget {
  provider: StorageProvider;
  /** Raw `type`/`provider` value from the values (e.g. 'minio', 's3', 'custom', 'gcs'). */
  rawType?: string;
  metadataBucket?: string;
  userDataBucket?: string;
  /** Raw output prefix, e.g. s3://bucket/raw (flyte-core `rawoutput-prefix`). */
  rawOutputPrefix?: string;
  /** Custom endpoint (MinIO, on-prem), e.g. http://minio.flyte.svc:9000. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  disableSSL?: boolean;
  /** 'iam' = default credential chain / IRSA / workload identity; 'accesskey' = static keys; 'keyfile' = GCS JSON key. */
  authType: 'iam' | 'accesskey' | 'adc' | 'keyfile';
  accessKey?: string;
  secretKey?: Secret;
  /** GCS project id, when set. */
  projectId?: string;
  keyFile?: string;
  /** Values key of the signed-URL endpoint override, used in hints. */
  signedUrlKey: string;
  /** The signed-URL endpoint override (the value at signedUrlKey), when set: signed URLs point there. */
  signedUrlEndpoint?: string;
  /** Values key prefix for storage, used in hints: 'configuration.storage' or 'storage'. */
  valuesKey: string;
  /** The workload identity Flyte's backend uses for the store, from the values (e.g. `role arn:… from serviceAccount.annotations.eks.amazonaws.com/role-arn`). */
  flyteIdentity?: string;
  /** Azure Blob: the storage account name (stow `account`, flyte-binary `providerConfig.azure.account`). */
  account?: string;
  /** Azure Blob: the endpoint suffix (stow `domain_suffix`/`base_url`, binary `configDomainSuffix`); unset means core.windows.net. */
  domainSuffix?: string;
  /**
   * Azure Blob: how the probes authenticate. 'key': the account key (in `secretKey`); 'sas': a SAS
   * token (`sasToken`); 'token': Azure AD through the default chain (Workload Identity in the pods).
   */
  azureAuth?: 'key' | 'sas' | 'token';
  /** Azure Blob: a SAS token (without the leading `?`), a secret (its `sig=` is never shown). */
  sasToken?: Secret;
}

export interface IngressTarget {
  /** Public host, e.g. flyte.example.com. */
  host?: string;
  /** https://host[:port] for HTTP paths. */
  httpUrl?: string;
  /** gRPC target host:port (TLS unless `insecure`). */
  grpcAddress?: string;
  className?: string;
  annotations: Record<string, string>;
  grpcAnnotations: Record<string, string>;
  separateGrpcIngress: boolean;
  tls: boolean;
  /**
   * The TLS sections as the inputs write them (flyte-binary `ingress.tls`/`httpTls`/`grpcTls`, a
   * render's spec.tls), for ingress.host.valid: `key` names the entry (`ingress.tls[0]`), `origin`
   * the file or object it comes from.
   */
  tlsEntries?: { key: string; origin: string; secretName?: string; hosts: string[]; grpcOnly?: boolean; /** Its place in the rendered Ingress (`spec.tls[1]`), as the API server names it. */ spec: string }[];
  /** Values key prefix: 'ingress' (binary) or 'common.ingress' (core). */
  valuesKey: string;
  /** Whether the chart renders an ingress at all (binary `ingress.create`, core `common.ingress.enabled`). */
  enabled: boolean;
}

export interface ClientTarget {
  /** Path of the flytectl/flytekit config file read, if any. */
  configPath?: string;
  /** Raw admin.endpoint, e.g. dns:///flyte.example.com or localhost:30080. */
  endpoint?: string;
  /** Parsed host and port (default 443) from `endpoint`. */
  host?: string;
  port?: number;
  insecure: boolean;
  insecureSkipVerify: boolean;
  caCertFilePath?: string;
  authType?: string;
  clientId?: string;
  clientSecret?: Secret;
  /**
   * CA bundles this machine adds through the environment (SSL_CERT_FILE, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH,
   * REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS): variable -> path, read from the run's environment.
   */
  trustEnv?: Record<string, string>;
  /** Proxy variables of the run's environment (HTTPS_PROXY, https_proxy, grpc_proxy, NO_PROXY…): variable -> value. */
  proxyEnv?: Record<string, string>;
}

export interface AuthTarget {
  enabled: boolean;
  /** OIDC issuer / baseUrl of the IdP, e.g. https://accounts.google.com. */
  oidcIssuer?: string;
  oidcClientId?: string;
  internalClientId?: string;
  clientSecret?: Secret;
  /** 'Self' or 'External'. */
  authServerType?: string;
  /** auth.authorizedUris as flyteadmin gets them (flyte-binary: the values' list; the chart appends its in-cluster URIs, see chartAddsInternalUris). */
  authorizedUris?: string[];
  /** flyte-binary appends http://<fullname>[.<ns>[.svc[.cluster.local]]]:8088 to authorizedUris. */
  chartAddsInternalUris?: boolean;
  /** Values key prefix: 'configuration.auth' or 'configmap.adminServer.auth'. */
  valuesKey: string;
}

export type PlaceholderKind = 'marker' | 'variable' | 'template' | 'render-template' | 'chart-placeholder' | 'pod-loopback' | 'example-domain' | 'empty';

/**
 * A key the chart tests with `{{ if }}` (it decides what is installed) holding what Go templates read
 * otherwise than it looks: a quoted "false" / "no" / "off" (any non-empty string is true), or an
 * empty string or null (false, even where the chart's default is true).
 */
export interface HelmBoolean {
  /** The key as written (`ingress.create`). */
  key: string;
  /** The file, or `--set`, that sets it. */
  origin: string;
  /** The value as written, shown (`"false"`, `""`, `null`). */
  written: string;
  /** How the chart's `if` reads it. */
  helm: boolean;
  /** What the chart then does (`creates the Ingress`). */
  effect: string;
  /** The chart's default, when the value replaces it ("" and null). */
  chartDefault?: boolean;
}

/**
 * A values key set to an empty string where the chart renders it as written: `""` replaces the
 * chart's default (only null removes a key), so Flyte gets no value and uses its built-in default.
 */
export interface EmptyValue {
  /** The target field it feeds (`databases[0].user`). */
  field: string;
  /** The key as written (`configuration.database.username`). */
  key: string;
  /** The file (or `--set`) that sets it empty. */
  origin: string;
  /** What Flyte uses instead, shown (`postgres`, flytestdlib's default). */
  fallback: string;
}

/** A value left for the deployer to fill in (src/config/hygiene.ts). */
export interface Placeholder {
  /** The key as written (`configuration.database.host`, `userSettings.rdsHost`, `admin.endpoint`). */
  key: string;
  /** The file (or `--set`, `env X`, `chart default`) it comes from. */
  origin: string;
  /** The value as shown: whole, except under a credential key (then only its placeholder tokens). */
  shown: string;
  /** The placeholder tokens in it (`<RDS_HOST_DNS>`, `${bucket_name}`, `{{ .Values.x }}`). */
  tokens: string[];
  kind: PlaceholderKind;
  /** Target fields that use it (`databases[0].host`): the probes reading them are blocked. */
  fields: string[];
  /** Why a real-looking value is a placeholder (chart defaults, documentation domains). */
  why?: string;
}

/** An object the install relies on, named by the values or the manifests (src/flyte/references.ts). */
export interface ObjectReference {
  /** Kubernetes kind: Secret, ConfigMap, IngressClass, ClusterIssuer, Issuer, StorageClass, or any kind a render uses. */
  kind: string;
  /** apiVersion when it matters (API kinds of a render; cert-manager), e.g. networking.k8s.io/v1. */
  apiVersion?: string;
  name: string;
  /** For namespaced kinds: the namespace it must be in. */
  namespace?: string;
  /** For Secrets/ConfigMaps: the keys read from it (e.g. pass.txt). */
  keys?: string[];
  /** The values key (or manifest object) that names it, with its file: provenance. */
  source: string;
  /** What uses it, e.g. 'the database password', 'TLS of the Ingress', 'image pulls of flyteadmin'. */
  purpose: string;
  /** The chart creates it itself (e.g. secretManifest given): then its absence before install is expected. */
  createdByChart?: boolean;
  /** Optional (e.g. `optional: true` volumes): a missing one is a warning, not a failure. */
  optional?: boolean;
  /** The key to change, as the user writes it (umbrella prefix included), e.g. `ingress.tls[0].secretName`. */
  key?: string;
  /** At least one of these keys must be there (image pull secrets: `.dockerconfigjson` or `.dockercfg`). */
  anyKeys?: string[];
  /** Secret types that work for this use (the kubelet reads pull secrets only of the docker types). */
  secretTypes?: string[];
  /** Created by the chart from a manifest in the values (`common.databaseSecret.secretManifest`): the keys that manifest holds. */
  manifestKeys?: string[];
  /** The manifest in the values is not a Secret (an ExternalSecret, a SealedSecret): its operator creates the Secret. */
  manifestKind?: string;
  /** cert-manager issues it (TLS Secret of an Ingress with cert-manager annotations): the Certificate is named after it. */
  issuedBy?: { kind: 'ClusterIssuer' | 'Issuer' | 'default'; name?: string; group?: string };
  /** Named by this annotation rather than a spec field (`kubernetes.io/ingress.class`, `cert-manager.io/cluster-issuer`). */
  annotation?: string;
  /** No name given: the cluster's default object of this kind is used (IngressClass, StorageClass). */
  useDefault?: boolean;
  /** An (apiVersion, kind) the install uses (kubernetes.objects.apis); `name` is one object of it, `count` how many. */
  api?: boolean;
  count?: number;
  /** IngressClass: the annotation keys of the Ingresses that use it (which controller they were written for). */
  ingressAnnotations?: string[];
  /** Service: its type when it exposes flyteadmin outside the cluster (LoadBalancer, NodePort). */
  serviceType?: string;
  /** StorageClass / PersistentVolumeClaim of a bundled dependency (umbrella charts): what its volume is. */
  bundled?: { dependency: string; volume: 'emptyDir' | 'chart' | 'claim' | 'dynamic' };
  /** What the values get wrong about it before any lookup (e.g. a passwordPath under /etc/db with no Secret named). */
  problem?: string;
}

/** A cloud identity bound to a Flyte service account by an annotation in the values. */
export interface WorkloadIdentity {
  kind: 'AWS IAM role (IRSA)' | 'GCP service account (GKE Workload Identity)' | 'Azure managed identity (Azure Workload Identity)';
  /** The role ARN / GSA email / client id (a placeholder stays visible as such). */
  value: string;
  /** The annotation key in the values, e.g. serviceAccount.annotations.eks.amazonaws.com/role-arn. */
  key: string;
  /** Where it came from. */
  source: string;
  /** The component whose service account carries it (flyte-binary, flyteadmin, datacatalog, flytepropeller, …). */
  component: string;
}

/** A Flyte component as the values decide it (src/flyte/components.ts). */
export interface ComponentSetting {
  /** flyte-core: flyteadmin, flyteconsole, datacatalog, flytepropeller, flyte-pod-webhook, flytescheduler, syncresources, flyteconnector; flyte-binary: admin, propeller, webhook, datacatalog, scheduler, cluster-resource-sync (inside the binary). */
  name: string;
  /** Its Deployment (flyte-core). */
  deployment?: string;
  enabled: boolean;
  /** The values key that decides it. */
  key: string;
  /** Provenance of that decision. */
  source: string;
  /** Why an enabled-looking setting deploys nothing (scheduler type, sync inside flyteadmin). */
  note?: string;
}

export interface Target {
  chart?: Chart;
  /**
   * The chart whose values were given, when it is not the Flyte chart itself: 'flyte' (umbrella of
   * flyte-core), 'flyte-sandbox' (of flyte-binary), 'flyte-deps', 'flyteconnector'.
   */
  chartName?: string;
  /** What the run checks and what it does not (src/flyte/scope.ts), for --dry-run and the reports. */
  scope?: string[];
  /** Workload identities the values give Flyte's service accounts (IRSA, GKE / Azure Workload Identity). */
  identities?: WorkloadIdentity[];
  /** How the chart was decided: '--chart', or 'auto-detected from values (configuration.*)'. */
  chartSource?: string;
  /** Files that were read, in order. */
  inputs: string[];
  /** The Helm values files given (-f), in order (for `helm upgrade … -f` commands). */
  valuesFiles?: string[];
  kubernetes: KubernetesTarget;
  databases: DatabaseTarget[];
  storage?: StorageTarget;
  ingress?: IngressTarget;
  client: ClientTarget;
  auth: AuthTarget;
  /**
   * The run happens inside the cluster as Flyte's identity (the `--in-cluster` pod, or a run in a
   * pod): cluster-internal names and private addresses are then judged, not warned about.
   */
  inCluster?: boolean;
  /**
   * The pod this run executes in (src/incluster/runtime.ts), set with `inCluster`: where every result
   * ran (`in-cluster/<namespace>/<serviceaccount>`), the API server, and the cloud identity the
   * storage SDKs' default chains find in the pod (IRSA, GKE metadata, Azure federated token).
   */
  runtime?: { ranAt: string; apiServer: string; serviceAccount?: string; podNamespace?: string; storageIdentity?: string };
  /** `--in-cluster` on this machine: where the launcher runs the pod and as whom (src/incluster/launcher.ts). */
  inClusterLaunch?: { namespace: string; serviceAccount: string; image: string };
  /** The --server-config files and --manifests source read (values.inputs.server-config). */
  deployedInputs?: string[];
  /** Objects the values / manifests reference (kubernetes.objects.referenced). */
  references?: ObjectReference[];
  /** What --server-config / --manifests set that Flyte ignores or refuses (values.inputs.server-config). */
  configWarnings?: { key: string; source: string; message: string }[];
  /** Prometheus metrics and task-log links the values configure (src/flyte/observability.ts). */
  observability?: import('../flyte/observability.js').Observability;
  /** Backend plugins and connectors the values enable (src/flyte/backend-plugins.ts). */
  backendPlugins?: import('../flyte/backend-plugins.js').BackendPlugins;
  /** Multi-cluster data planes (flyte-core cluster configs, --data-plane; src/flyte/dataplanes.ts). */
  dataPlanes?: import('../flyte/dataplanes.js').DataPlanes;
  /** The components the values deploy (undefined without values). */
  components?: ComponentSetting[];
  /** Values keys no chart reads, under the sections flyte-doctor reads (values.inputs.keys). */
  unknownKeys?: UnknownKey[];
  /** Placeholders in the inputs (values.placeholders reports them; probes using them are blocked). */
  placeholders?: Placeholder[];
  /** Values keys set to "" that the chart renders empty (listed as placeholders of kind 'empty'). */
  emptyValues?: EmptyValue[];
  /** Keys the chart tests with `{{ if }}` written so Helm reads them otherwise than they look (values.inputs.keys). */
  helmBooleans?: HelmBoolean[];
  /** Every admin/ingress address, parsed once from client and ingress (src/config/endpoints.ts). */
  endpoints?: Endpoints;
  /** Resolver for DNS checks (`--dns-server host:port`); undefined = system resolver. */
  dnsServer?: string;
  /** Values that name the namespace flyte for a Flyte component while the release goes to another (src/flyte/release-namespace.ts). */
  namespaceLiterals?: import('../flyte/release-namespace.js').NamespaceLiteral[];
  /** flyteadmin's namespace mapping (project-domain → namespace), when the inputs set one (src/flyte/namespaces.ts). */
  namespaceMapping?: import('../flyte/namespaces.js').NamespaceMapping;
  /** Projects known from values (seed projects) for project-domain namespace checks. */
  projects: string[];
  domains: string[];
  /** Task resource defaults from values (for the capacity check), e.g. { cpu: '100m', memory: '500Mi' }. */
  taskResourceDefaults?: { cpu?: string; memory?: string };
  /** Provenance of every field above, keyed by dotted path (e.g. 'databases[0].host', 'client.endpoint'). */
  provenance: Provenance;
  /** Every secret value known to the run, for the redactor. */
  secrets: string[];
  /**
   * Identifiers that are half a credential (access key ids from values, flytectl config, AWS env
   * and files): shown as first4…last4 (maskIdentifier) in every output, never whole.
   */
  identifiers?: string[];
}
