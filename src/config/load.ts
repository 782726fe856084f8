// Builds the one normalized Target from flags > env > flytectl config > values files > chart
// defaults, with provenance for each field. Throws UserError on bad input (the CLI exits 2).
import { UserError } from '../errors.js';
import { readInputFile } from './read.js';
import { makeRedactor } from '../engine/redact.js';
import { chartDefaultsLayer, mapChart, Reader, urlPassword } from './charts.js';
import { collectCloudFiles, collectEnv, Credentials, publishedDefault } from './credentials.js';
import { computeEndpoints, isClusterInternal, parseEndpoint, type ParsedEndpoint } from './endpoints.js';
import { loadClient } from './flytectl.js';
import { findPlaceholders } from './hygiene.js';
import { mapManifests, readManifests, type IdentityProvider, type ManifestMapping } from './manifests.js';
import { mapServerConfig, readServerConfigFile, type ServerConfigMapping } from './serverconfig.js';
import { SERVER_CONFIG_STORAGE } from '../flyte/storage.js';
import { PROXY_VARS } from '../flyte/proxy.js';
import { unknownKeys } from '../flyte/chart-keys.js';
import { referencesFromManifests, referencesFromValues } from '../flyte/references.js';
import { loadKubeconfig } from './kubeconfig.js';
import { detectPod, podKubeconfig, readPodToken, storageIdentity } from '../incluster/runtime.js';
import type { Chart, IngressTarget, Target, WorkloadIdentity } from './target.js';
import { detectChart, detectOtherChart, flyte2Reasons, MergedValues, parseSets, readValuesFile } from './values.js';
import { scopeLines } from '../flyte/scope.js';
import { observabilityFromValues } from '../flyte/observability.js';
import { backendPluginsFromValues } from '../flyte/backend-plugins.js';
import { dataPlanesFromValues } from '../flyte/dataplanes.js';
import { namespaceMappingFromValues } from '../flyte/namespaces.js';
import { namespaceLiterals } from '../flyte/release-namespace.js';
import type { Detection, Layer, Path } from './values.js';
import { closeNames } from '../distance.js';

/** The FLYTE_DOCTOR_* variables an operator sets (the others are internal: the in-cluster pod's, the tests'). */
const USER_ENV = ['FLYTE_DOCTOR_DNS_SERVER', 'FLYTE_DOCTOR_NAMESPACE'];
const INTERNAL_ENV = /^FLYTE_DOCTOR_(DEBUG|IN_CLUSTER_HOST_NETWORK|IN_CLUSTER_POLL_MS|REPORT_CONFIGMAP|SA_DIR|SET_\d+|TERMINATION_LOG|[A-Z_]+__|NO_TESTBED|TESTBED_[A-Z_]+|SHARED_FIXTURES|FIXTURES|CACHE|NODE_REFRESH|REALPODS_[A-Z_]+|SINGLE_FILE|SKIP_DEPS)$/;

/**
 * A misspelled FLYTE_DOCTOR_NAMESPACE / FLYTE_DOCTOR_DNS_SERVER (`FLYTE_DOCTOR_NAMESPCE`, `FLYTE_DOCTOR_DNS`,
 * lower case) would silently leave the default namespace or the system resolver: bad input.
 */
function checkEnvNames(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (!/^flyte_doctor_/i.test(name) || USER_ENV.includes(name) || INTERNAL_ENV.test(name) || !env[name]) continue;
    const meant = USER_ENV.find((u) => u === name.toUpperCase()) ?? closeNames(name.toUpperCase(), USER_ENV, 1)[0];
    if (meant && !env[meant]) throw new UserError(`env ${name}: not a variable flyte-doctor reads (it would be ignored silently); expected ${meant}`);
  }
}

export interface TargetInput {
  values: string[];
  /** Flyte server config files (flyteadmin / datacatalog / propeller / single binary), merged in order. */
  serverConfigs?: string[];
  /** Rendered manifests: a file, a directory, or '-' (stdin). */
  manifests?: string;
  /** Reads stdin for `--manifests -` (tests pass their own). */
  readStdin?: () => string;
  /** Reads stdin for `-f -` (tests pass their own). */
  readStdinValues?: () => string;
  set: string[];
  chart?: 'flyte-binary' | 'flyte-core';
  flytectlConfig?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  endpoint?: string;
  dnsServer?: string;
  /** `--data-plane NAME=CONTEXT` flags (multi-cluster flyte-core). */
  dataPlanes?: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
}

const CHARTS: readonly Chart[] = ['flyte-binary', 'flyte-core'];
const DEFAULT_NAMESPACE = 'flyte';
const DEFAULT_PROJECTS = ['flytesnacks'];
const DEFAULT_DOMAINS = ['development', 'staging', 'production'];

/** `host[:port]` (IPv6 as `[addr]:port`), port default 53; returns `host:port`. */
export function parseDnsServer(source: string, raw: string): string {
  const bad = (): never => { throw new UserError(`${source} ${raw}: expected host[:port], e.g. 1.1.1.1:53 or [2606:4700::1111]:53`); };
  const s = raw.trim();
  let host: string;
  let port = 53;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = `[${v6[1]}]`;
    if (v6[2]) port = Number(v6[2]);
  } else if (/^[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/.test(s)) {
    host = `[${s}]`; // bare IPv6 address
  } else {
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d+))?$/.exec(s);
    if (!m) return bad();
    host = m[1]!;
    if (m[2]) port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return bad();
  return `${host}:${port}`;
}

const fmtHostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Loads the target. Every credential of every input is collected as it is read (secrets by
 * construction, src/config/credentials.ts), so a UserError that quotes one is redacted too.
 */
export function loadTarget(input: TargetInput): Target {
  const early = new Credentials();
  collectEnv(input.env, early);
  try {
    return loadTargetWith(input, early);
  } catch (e) {
    if (e instanceof UserError) {
      const redact = makeRedactor({ secrets: [...early.secrets], identifiers: [...early.identifiers] });
      throw new UserError(redact(e.message));
    }
    throw e;
  }
}

function loadTargetWith(input: TargetInput, early: Credentials): Target {
  const env = input.env;
  checkEnvNames(env);
  const provenance: Target['provenance'] = {};
  const creds = new Credentials();
  collectEnv(env, creds);
  const secrets = creds.secrets;
  const inputs: string[] = [];

  if (input.chart !== undefined && !CHARTS.includes(input.chart)) {
    throw new UserError(`--chart ${String(input.chart)}: expected one of ${CHARTS.join(', ')}`);
  }

  // dns server: flag > env
  let dnsServer: string | undefined;
  if (input.dnsServer !== undefined && input.dnsServer !== '') {
    dnsServer = parseDnsServer('--dns-server', input.dnsServer);
    provenance['dnsServer'] = '--dns-server';
  } else if (env['FLYTE_DOCTOR_DNS_SERVER']) {
    dnsServer = parseDnsServer('env FLYTE_DOCTOR_DNS_SERVER', env['FLYTE_DOCTOR_DNS_SERVER']);
    provenance['dnsServer'] = 'env FLYTE_DOCTOR_DNS_SERVER';
  }

  // namespace: flag > env > default
  let namespace = DEFAULT_NAMESPACE;
  provenance['kubernetes.namespace'] = 'default';
  if (input.namespace) { namespace = input.namespace; provenance['kubernetes.namespace'] = '--namespace'; }
  else if (env['FLYTE_DOCTOR_NAMESPACE']) { namespace = env['FLYTE_DOCTOR_NAMESPACE']; provenance['kubernetes.namespace'] = 'env FLYTE_DOCTOR_NAMESPACE'; }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new UserError(`${provenance['kubernetes.namespace']} ${namespace}: expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63 characters)`);
  }

  // --endpoint is validated early so a typo fails before any file is read.
  let flagEndpoint: ParsedEndpoint | undefined;
  if (input.endpoint !== undefined) {
    flagEndpoint = parseEndpoint(input.endpoint);
    if (!flagEndpoint || (flagEndpoint.problem && /port/.test(flagEndpoint.problem))) {
      throw new UserError(`--endpoint ${input.endpoint}: expected host[:port], dns:///host[:port] or https://host[:port]`);
    }
  }

  // values files, in order
  const layers: Layer[] = [];
  let detected: (Detection & { file: string }) | undefined;
  // standard input is read once: one `-f -`, or `--manifests -`
  if (input.values.filter((f) => f === '-').length > 1) throw new UserError('--values -: given more than once; standard input can be read only once');
  if (input.values.includes('-') && input.manifests === '-') throw new UserError('--values - and --manifests -: both read standard input, which can be read only once; give one of them as a file (or <(…))');
  for (const file of input.values) {
    const layer = readValuesFile(file, input.cwd, input.readStdinValues);
    early.scanTree(layer.values);
    inputs.push(file === '-' ? '<stdin>' : file);
    const v2 = flyte2Reasons(layer.values);
    if (v2.length) {
      throw new UserError(`${file}: this is a Flyte 2 values file (has ${v2.join(', ')}); flyte-doctor checks Flyte 1.x charts (flyte-binary, flyte-core)`);
    }
    const d = detectChart(layer.values);
    if (d && input.chart && d.chart !== input.chart) {
      // --chart says one chart, the file is plainly the other's values: every key would be read wrong.
      throw new UserError(`${file}: looks like ${d.chart} values (${d.reason}), but --chart ${input.chart} was given; pass --chart ${d.chart}, or drop --chart to detect it`);
    }
    if (d && !input.chart) {
      if (detected && detected.chart !== d.chart) {
        throw new UserError(`${file}: looks like ${d.chart} values (${d.reason}) but ${detected.file} looks like ${detected.chart}; pass --chart flyte-binary or --chart flyte-core`);
      }
      detected ??= { ...d, file };
    }
    layers.push(layer);
  }
  const setLayer = parseSets(input.set);
  early.scanTree(setLayer.values);

  let merged: MergedValues | undefined;
  let dataPlaneReader: Reader | undefined;
  let otherChart: string | undefined;
  let otherSource: string | undefined;
  let chart: Chart | undefined;
  let chartSource: string | undefined;
  let prefix: Path = [];
  if (input.chart) {
    chart = input.chart;
    chartSource = '--chart';
    // An umbrella chart's values (flyte-sandbox / flyte) hold the subchart's values under its key.
    const merged = new MergedValues(layers).root;
    const d = detectChart(merged);
    if (d && d.chart === chart) prefix = d.prefix;
  } else if (detected) {
    chart = detected.chart;
    chartSource = `auto-detected from ${detected.file}: ${detected.reason}`;
    prefix = detected.prefix;
  } else if (layers.length) {
    // Not a Flyte chart's values: flyte-deps or flyteconnector (said so; no chart-default probes).
    for (const [i, l] of layers.entries()) {
      const o = detectOtherChart(l.values);
      if (o) { otherChart = o.chart; otherSource = `auto-detected from ${input.values[i]}: ${o.reason}`; break; }
    }
  } else if (input.set.length) {
    const d = detectChart(setLayer.values);
    if (d) { chart = d.chart; chartSource = `auto-detected from --set: ${d.reason}`; prefix = d.prefix; }
  }

  const target: Target = {
    inputs,
    kubernetes: { namespace, release: chart === 'flyte-core' ? 'flyte' : 'flyte-backend' },
    databases: [],
    client: { insecure: false, insecureSkipVerify: false },
    auth: { enabled: false, valuesKey: chart === 'flyte-core' ? 'configmap.adminServer.auth' : 'configuration.auth' },
    projects: DEFAULT_PROJECTS,
    domains: DEFAULT_DOMAINS,
    provenance,
    secrets: [],
  };
  provenance['kubernetes.release'] = 'default';
  if (input.values.length) target.valuesFiles = [...input.values];
  if (chart && prefix.length) target.chartName = prefix[0] === 'flyte' ? 'flyte' : 'flyte-sandbox';
  if (otherChart) {
    target.chartName = otherChart;
    target.chartSource = otherSource!;
    provenance['chartName'] = otherSource!;
  }
  if (chart) {
    target.chart = chart;
    target.chartSource = chartSource!;
    provenance['chart'] = chartSource!;
    const defaults = chartDefaultsLayer(chart, prefix);
    // Every credential-named value of the user's layers, except a chart's own published default
    // repeated in a file (flyte-core's clientSecret `foobar`): that is no secret.
    const defaultsMv = new MergedValues([defaults]);
    for (const l of [...layers, setLayer]) creds.scanTree(l.values, { skip: (path, v) => { const d = defaultsMv.rawAt(path); return (d !== undefined && d !== '' && String(d) === String(v)) || publishedDefault(path, v); } });
    const mv = new MergedValues([defaults, ...layers, setLayer]);
    mv.prefix = prefix;
    mv.resolveTemplates();
    merged = mv;
    const unknown = unknownKeys(chart, mv);
    if (unknown.length) target.unknownKeys = unknown;
    const reader = new Reader(mv);
    if (chart === 'flyte-binary' && reader.str('fullnameOverride')) {
      // fullnameOverride names the objects; the release stays the default for labels.
      provenance['kubernetes.release'] = 'default (objects named by fullnameOverride)';
    }
    const m = mapChart(chart, reader, { namespace, env, cwd: input.cwd });
    const refs = referencesFromValues(chart, reader, namespace);
    if (refs.length) target.references = refs;
    const literals = namespaceLiterals(mv, namespace);
    if (literals.length) target.namespaceLiterals = literals;
    const nsMapping = namespaceMappingFromValues(chart, reader);
    if (nsMapping) { target.namespaceMapping = nsMapping; provenance['namespaceMapping.template'] = nsMapping.source; }
    const obs = observabilityFromValues(chart, reader, namespace);
    if (obs) target.observability = obs;
    const plugins = backendPluginsFromValues(chart, reader, namespace);
    if (plugins) target.backendPlugins = plugins;
    dataPlaneReader = reader;
    target.databases = m.databases;
    if (m.identities) {
      target.identities = m.identities;
      // The identity the backend reaches the object store with (binary: its one account; core: admin/propeller).
      const backend = m.identities.find((i) => ['flyte-binary', 'flytepropeller', 'flyteadmin'].includes(i.component));
      if (backend && m.storage) {
        m.storage.flyteIdentity = `${backend.kind} ${backend.value} of ${backend.component}, ${backend.key}`;
        provenance['storage.flyteIdentity'] = backend.source;
      }
    }
    if (m.components) {
      target.components = m.components;
      for (const c of m.components) provenance[`components.${c.name}`] = c.source;
    }
    if (m.storage) target.storage = m.storage;
    if (m.ingress) target.ingress = m.ingress;
    target.auth = m.auth;
    if (m.projects) target.projects = m.projects;
    if (m.domains) target.domains = m.domains;
    if (m.taskResourceDefaults) target.taskResourceDefaults = m.taskResourceDefaults;
    Object.assign(provenance, m.provenance);
    if (m.emptied) target.emptyValues = m.emptied;
    for (const s of m.secrets) creds.secret(s);
    if (m.storage?.accessKey) creds.identifier(m.storage.accessKey);
  } else {
    for (const l of [...layers, setLayer]) creds.scanTree(l.values, { skip: publishedDefault });
  }
  const planes = dataPlanesFromValues(chart, dataPlaneReader, input.dataPlanes ?? []);
  if (planes) target.dataPlanes = planes;
  // (after every reader of the values: a gate key any of them read)
  if (dataPlaneReader?.helmBooleans.size) target.helmBooleans = [...dataPlaneReader.helmBooleans.values()];
  provenance['projects'] ??= 'default';
  provenance['domains'] ??= 'default';

  // What the servers really read: rendered manifests, then Flyte server configs (later wins).
  applyDeployed(target, input, creds, early, inputs);

  // client config (flytectl/flytekit), env overrides inside
  const c = loadClient({ ...(input.flytectlConfig !== undefined ? { flytectlConfig: input.flytectlConfig } : {}), env, cwd: input.cwd, home: input.home });
  target.client = c.client;
  inputs.push(...c.inputs);
  Object.assign(provenance, c.provenance);
  for (const s of c.secrets) { creds.secret(s); early.secret(s); }
  for (const s of c.identifiers) { creds.identifier(s); early.identifier(s); }
  let clientEp = c.parsed;
  if (flagEndpoint) {
    target.client.endpoint = input.endpoint!;
    target.client.host = flagEndpoint.host;
    target.client.port = flagEndpoint.port;
    for (const k of ['client.endpoint', 'client.host', 'client.port']) provenance[k] = '--endpoint';
    delete provenance['client.endpoint.problem'];
    if (flagEndpoint.problem && !/^admin\.endpoint has the scheme http/.test(flagEndpoint.problem)) provenance['client.endpoint.problem'] = flagEndpoint.problem.replace('admin.endpoint', '--endpoint');
    clientEp = flagEndpoint;
  }

  // kubeconfig
  const k = loadKubeconfig({
    ...(input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
    ...(input.context !== undefined ? { context: input.context } : {}),
    env, cwd: input.cwd, home: input.home,
  });
  if (k.kubeconfigPath) target.kubernetes.kubeconfigPath = k.kubeconfigPath;
  if (k.kubeconfigFiles.length) {
    target.kubernetes.kubeconfigFiles = k.kubeconfigFiles;
    k.kubeconfigFiles.forEach((_, i) => { provenance[`kubernetes.kubeconfigFiles[${i}]`] = `${k.provenance['kubernetes.kubeconfigPath'] ?? 'default'} (merged like kubectl)`; });
  }
  if (k.context) target.kubernetes.context = k.context;
  inputs.push(...k.inputs);
  Object.assign(provenance, k.provenance);
  // The kubeconfig module registers its credentials (tokens, passwords, client keys, exec env).
  const kc = k as { secrets?: Iterable<string>; identifiers?: Iterable<string> };
  for (const s of kc.secrets ?? []) creds.secret(s);
  for (const s of kc.identifiers ?? []) creds.identifier(s);
  // In a pod without a kubeconfig: the pod's service account (client-go's InClusterConfig). The run
  // then happens from Flyte's network as a service account: cluster-internal names are judged.
  if (!k.kubeconfigFiles.length && !input.kubeconfig) {
    const pod = detectPod(env);
    if (pod) {
      const file = podKubeconfig(pod);
      target.kubernetes.kubeconfigPath = file;
      target.kubernetes.kubeconfigFiles = [file];
      target.kubernetes.context = 'in-cluster';
      provenance['kubernetes.kubeconfigPath'] = `in-pod service account (${pod.sources['server']}, ${pod.dir})`;
      provenance['kubernetes.kubeconfigFiles[0]'] = provenance['kubernetes.kubeconfigPath'];
      provenance['kubernetes.context'] = 'in-pod service account';
      const tok = readPodToken(pod.tokenFile);
      if (tok) creds.secret(tok);
      target.inCluster = true;
      provenance['inCluster'] = `in-pod service account (${pod.sources['server']})`;
      target.runtime = { ranAt: pod.ranAt, apiServer: pod.server, ...(pod.serviceAccount ? { serviceAccount: pod.serviceAccount } : {}), ...(pod.namespace ? { podNamespace: pod.namespace } : {}) };
      provenance['runtime.ranAt'] = pod.sources['serviceAccount'] ?? pod.sources['token']!;
      provenance['runtime.apiServer'] = pod.sources['server']!;
      if (pod.serviceAccount) provenance['runtime.serviceAccount'] = pod.sources['serviceAccount']!;
      if (pod.namespace) provenance['runtime.podNamespace'] = pod.sources['namespace']!;
    }
  }

  // The cloud SDKs' credential files (AWS, GCP, Azure): what they hold is a secret too.
  const cloud = new Credentials();
  collectCloudFiles(env, input.home, input.cwd, cloud);
  // A PostgreSQL client key (sslkey in the database options) is a credential too, read like the
  // SDKs' key files; one not readable here is the database checks' finding, not a load error.
  for (const db of target.databases) {
    if (!db.sslkey) continue;
    try {
      const text = readInputFile(`${provenance[`databases[${target.databases.indexOf(db)}].sslkey`] ?? 'database options'} sslkey`, db.sslkey, input.cwd, { optional: true, limit: 1024 * 1024, what: 'credential files' });
      if (text) cloud.scanText(text);
    } catch { /* unreadable, a FIFO, too large: database.postgres.* report it */ }
  }
  for (const s of cloud.secrets) { creds.secret(s); early.secret(s); }
  for (const s of cloud.identifiers) { creds.identifier(s); early.identifier(s); }

  deriveEndpoints(target, clientEp, flagEndpoint ? '--endpoint' : c.provenance['client.endpoint']);

  if (dnsServer) target.dnsServer = dnsServer;
  for (const u of [target.client.endpoint, target.ingress?.httpUrl]) {
    const p = urlPassword(u);
    if (p) secrets.add(p);
  }
  target.secrets = [...secrets].filter((s) => s !== '');
  target.identifiers = [...creds.identifiers].filter((s) => s !== '' && !secrets.has(s));
  setEndpoints(target);
  const trustEnv: Record<string, string> = {};
  for (const v of TRUST_ENV) {
    const path = env[v];
    if (!path) continue;
    trustEnv[v] = path;
    provenance[`client.trustEnv.${v}`] = `env ${v}`;
  }
  if (Object.keys(trustEnv).length) target.client.trustEnv = trustEnv;
  const proxyEnv: Record<string, string> = {};
  for (const v of PROXY_VARS) {
    const value = env[v];
    if (!value) continue;
    proxyEnv[v] = value;
    provenance[`client.proxyEnv.${v}`] = `env ${v}`;
  }
  if (Object.keys(proxyEnv).length) target.client.proxyEnv = proxyEnv;
  if (!merged && (layers.length || input.set.length)) {
    merged = new MergedValues([...layers, setLayer]);
    merged.resolveTemplates();
  }
  if (target.runtime && target.storage) {
    const who = storageIdentity(target.storage.provider, env);
    if (who && !(target.storage.authType === 'accesskey' || target.storage.authType === 'keyfile')) { target.runtime.storageIdentity = who; provenance['runtime.storageIdentity'] = 'the pod environment (the SDK default chain)'; }
  }
  const scope = scopeLines(target);
  if (scope.length) target.scope = scope;
  const placeholders = findPlaceholders(target, merged);
  if (placeholders.length) target.placeholders = placeholders;
  return target;
}

/** Environment variables that add CA bundles (which clients read which: src/clients/trust.ts). */
const TRUST_ENV = ['SSL_CERT_FILE', 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH', 'REQUESTS_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS'] as const;

/** target.endpoints, with the provenance of each part. */
function setEndpoints(target: Target): void {
  const p = target.provenance;
  const ep = target.endpoints = computeEndpoints(target);
  const ingressSrc = p['ingress.grpcAddress'] ?? p['ingress.httpUrl'] ?? p['ingress.host'] ?? 'default';
  if (ep.admin) {
    const viaClient = ep.admin.source === 'admin.endpoint';
    p['endpoints.admin.host'] = viaClient ? p['client.host'] ?? p['client.endpoint'] ?? 'default' : ingressSrc;
    p['endpoints.admin.port'] = viaClient ? p['client.port'] ?? p['client.endpoint'] ?? 'default' : ingressSrc;
    p['endpoints.admin.tls'] = viaClient ? `derived: not admin.insecure (${p['client.insecure'] ?? 'default'})` : p['ingress.tls'] ?? ingressSrc;
  }
  if (ep.ingressGrpc) {
    for (const k of ['host', 'port']) p[`endpoints.ingressGrpc.${k}`] = ingressSrc;
    p['endpoints.ingressGrpc.tls'] = p['ingress.tls'] ?? ingressSrc;
  }
  if (ep.ingressHttp) p['endpoints.ingressHttp'] = p['ingress.httpUrl'] ?? p['ingress.host'] ?? 'default';
  if (ep.adminHttp) p['endpoints.adminHttp'] = ep.ingressHttp ? p['endpoints.ingressHttp']! : p['endpoints.admin.host'] ?? 'default';
}

/**
 * ingress.httpUrl / grpcAddress from (1) --endpoint, (2) the client endpoint, (3) the ingress
 * host with port 443.
 */
function deriveEndpoints(target: Target, ep: ParsedEndpoint | undefined, epSource: string | undefined): void {
  const p = target.provenance;
  // The client dials a cluster-internal Service name while the values name the Ingress host: the
  // ingress checks judge the Ingress (reachable from here); the client's own path has its own checks.
  // (Otherwise the client endpoint is how the ingress is reached: it carries the port the values lack.)
  const valuesHost = target.ingress?.host;
  if (ep && valuesHost && isClusterInternal(ep.host) && !isClusterInternal(valuesHost)) ep = undefined;
  if (ep) {
    const ingress: IngressTarget = target.ingress ?? {
      annotations: {}, grpcAnnotations: {}, separateGrpcIngress: false, tls: !target.client.insecure,
      valuesKey: target.chart === 'flyte-core' ? 'common.ingress' : 'ingress', enabled: false,
    };
    const scheme = ep.scheme === 'http' || ep.scheme === 'https' ? ep.scheme : target.client.insecure ? 'http' : 'https';
    const defaultPort = scheme === 'https' ? 443 : 80;
    const hostPart = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
    ingress.httpUrl = `${scheme}://${hostPart}${ep.port === defaultPort ? '' : `:${ep.port}`}`;
    ingress.grpcAddress = fmtHostPort(ep.host, ep.port);
    p['ingress.httpUrl'] = epSource ?? 'client endpoint';
    p['ingress.grpcAddress'] = epSource ?? 'client endpoint';
    if (!ingress.host) {
      ingress.host = ep.host;
      p['ingress.host'] = epSource ?? 'client endpoint';
    }
    target.ingress = ingress;
    return;
  }
  const ing = target.ingress;
  if (ing?.host) {
    const port = ing.tls ? 443 : 80;
    ing.httpUrl = `${ing.tls ? 'https' : 'http'}://${ing.host.includes(':') && !ing.host.startsWith('[') ? `[${ing.host}]` : ing.host}`;
    ing.grpcAddress = fmtHostPort(ing.host, port);
    p['ingress.httpUrl'] = `${p['ingress.host']} (port ${port})`;
    p['ingress.grpcAddress'] = `${p['ingress.host']} (port ${port})`;
  }
}

const IDENTITY_KIND: Record<IdentityProvider, WorkloadIdentity['kind']> = {
  'aws-irsa': 'AWS IAM role (IRSA)',
  'gke-workload-identity': 'GCP service account (GKE Workload Identity)',
  'azure-workload-identity': 'Azure managed identity (Azure Workload Identity)',
};

/**
 * `--manifests` and `--server-config`: the config the servers read. For every part they set
 * (databases, storage, auth, ingress, identities, projects), they replace what the values say: the
 * probes then check what Flyte will really use. Their findings (settings Flyte ignores or refuses)
 * go to target.configWarnings (values.inputs.server-config).
 */
function applyDeployed(target: Target, input: TargetInput, creds: Credentials, early: Credentials, inputs: string[]): void {
  const p = target.provenance;
  const opts = { env: input.env, cwd: input.cwd, namespace: target.kubernetes.namespace };
  const mappings: { m: ServerConfigMapping | ManifestMapping; from: string }[] = [];
  if (input.manifests !== undefined) {
    const set = readManifests(input.manifests, input.cwd, input.readStdin);
    for (const v of set.secretValues()) { creds.secret(v); early.secret(v); }
    const label = input.manifests === '-' ? 'manifests from stdin' : input.manifests;
    inputs.push(label);
    target.deployedInputs = [...(target.deployedInputs ?? []), label];
    const m = mapManifests(set, opts);
    const mrefs = referencesFromManifests(set, target.kubernetes.namespace);
    if (mrefs.length) target.references = mrefs; // the render is what will be installed
    if (!target.chart && m.chart) {
      target.chart = m.chart;
      target.chartSource = m.provenance['chart'] ?? 'manifests';
      p['chart'] = target.chartSource;
    }
    if (m.release && p['kubernetes.release']?.startsWith('default')) { target.kubernetes.release = m.release; p['kubernetes.release'] = m.provenance['kubernetes.release'] ?? 'manifests'; }
    if (m.namespace && p['kubernetes.namespace'] === 'default') { target.kubernetes.namespace = m.namespace; p['kubernetes.namespace'] = m.provenance['kubernetes.namespace'] ?? 'manifests'; }
    mappings.push({ m, from: 'manifests' });
  }
  if (input.serverConfigs?.length) {
    const layers = input.serverConfigs.map((f) => {
      const layer = readServerConfigFile(f, input.cwd);
      early.scanTree(layer.values);
      inputs.push(f);
      target.deployedInputs = [...(target.deployedInputs ?? []), f];
      return layer;
    });
    const m = mapServerConfig(layers, opts);
    if (m.storage && m.storage.valuesKey === 'storage') m.storage.valuesKey = SERVER_CONFIG_STORAGE;
    mappings.push({ m, from: 'server config' });
  }
  for (const { m } of mappings) {
    const take = (prefix: RegExp) => {
      for (const k of Object.keys(p)) if (prefix.test(k)) delete p[k];
      for (const [k, v] of Object.entries(m.provenance)) if (prefix.test(k)) p[k] = v;
    };
    if (m.databases.length) { target.databases = m.databases; take(/^databases\[/); }
    if (m.storage) { target.storage = m.storage; take(/^storage\./); }
    if (m.auth) { target.auth = m.auth; take(/^auth\./); }
    if ('ingress' in m && m.ingress) { target.ingress = m.ingress; take(/^ingress\./); }
    if (m.projects) { target.projects = m.projects; take(/^projects$/); }
    if (m.domains) { target.domains = m.domains; take(/^domains$/); }
    if (m.taskResourceDefaults) { target.taskResourceDefaults = m.taskResourceDefaults; take(/^taskResourceDefaults\./); }
    if (m.namespaceMapping) { target.namespaceMapping = m.namespaceMapping; take(/^namespaceMapping\./); }
    if ('identities' in m && m.identities.length) {
      target.identities = m.identities.map((i) => ({
        kind: IDENTITY_KIND[i.provider], value: i.value, key: `ServiceAccount ${i.serviceAccount}: metadata.annotations.${i.annotation}`,
        source: m.provenance[`identity.${i.serviceAccount}`] ?? `ServiceAccount ${i.serviceAccount}`, component: i.deployments[0] ?? i.serviceAccount,
      }));
    }
    for (const s of m.secrets) { creds.secret(s); early.secret(s); }
    for (const s of m.identifiers) { creds.identifier(s); early.identifier(s); }
    if (m.storage?.accessKey) creds.identifier(m.storage.accessKey);
    if (m.warnings.length) target.configWarnings = [...(target.configWarnings ?? []), ...m.warnings];
  }
}
