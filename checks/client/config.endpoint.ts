import { isIP } from 'node:net';
import { EndpointSyntaxError, isClusterInternal, parseAdminEndpoint } from '../../src/config/endpoints.js';
import { closeNames } from '../../src/distance.js';
import { ingressHostProblem } from '../../src/config/k8s-names.js';
import { setting } from '../../src/flyte/settings.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { clientFix, clientSettingText, clientWhere, CLIENT_SETTINGS } from '../../src/flyte/client.js';
import type { Json } from '../../src/engine/types.js';

const STALE_SANDBOX = new Set([30081, 30082, 30084, 30086]);

export default defineCheck({
  id: 'client.config.endpoint',
  title: 'admin.endpoint in the client config is well-formed',
  phases: ['preflight', 'verify'],
  // no needs: a malformed admin.endpoint leaves the target without a parsed host, which is what this reports
  messages: {
    wellFormed: { status: 'pass', summary: 'admin.endpoint parses as dns:///host[:port].' },
    notFromFile: { status: 'pass', summary: 'The endpoint comes from --endpoint or the values, not from a client config file.' },
    malformed: { status: 'fail', summary: 'admin.endpoint is not a gRPC target flytectl/pyflyte accept (URL scheme, path, two slashes, bad port, no host).' },
    httpPort: { status: 'warn', summary: 'Port 8088 is flyteadmin\'s HTTP port; gRPC answers there only when server.security.secure is on.' },
    staleSandboxPort: { status: 'warn', summary: 'A port of the old flytectl sandbox (30081/30082/...); the demo sandbox serves on 30080.' },
    localhost: { status: 'warn', summary: 'The client dials localhost while the deployment\'s ingress host is another name.' },
    pyflyteOtherConfig: { status: 'warn', summary: 'pyflyte reads another config file than flytectl (a legacy ./flytekit.config or ~/.flyte/config first, or $_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE) and it names another endpoint.' },
    otherHost: { status: 'warn', summary: 'The client dials another host name than the Ingress host the values give: the Ingress rules answer only for their host, so the client\'s requests reach the controller\'s default backend.' },
  },
  explain: {
    what: 'Parses `admin.endpoint` the way flytectl and pyflyte do (`dns:///host[:port]`, default port 443) and flags URL schemes, paths, `dns://` with two slashes, bad ports, flyteadmin\'s HTTP-only port 8088 and the stale sandbox ports 30081/30082.',
    why: '`https://host`, a trailing slash or a missing host produce "dial tcp: missing address" / "Please use a valid endpoint"; 8088 has no gRPC handler when admin is not `secure`.',
    fix: 'Write `admin.endpoint: dns:///<host>[:<port>]` (or run `flytectl config init --host <host>`); use the ingress on 443, flyteadmin\'s gRPC port 8089, or the demo sandbox on 30080.',
  },
  async run(ctx) {
    const c = ctx.target.client;
    const file = c.configPath ? ` in ${c.configPath}` : '';
    if (!c.endpoint) {
      const pyEp = ctx.target.provenance['client.pyflyteEndpoint'];
      if (!c.host && pyEp) return { status: 'skip', message: `flytectl has no admin.endpoint (no ~/.flyte/config.yaml or $FLYTECTL_CONFIG), while pyflyte reads ${pyEp} from ${ctx.target.provenance['client.pyflyteConfig']}: pass --endpoint dns:///${pyEp} (or --flytectl-config) to check it` };
      if (!c.host) return { status: 'skip', message: 'no admin.endpoint in the client config (set it in ~/.flyte/config.yaml, $FLYTECTL_CONFIG or --flytectl-config)' };
      return { status: 'pass', messageId: 'notFromFile', message: `endpoint ${c.host}:${c.port ?? 443} (not from a client config file)`, details: { host: c.host, port: c.port ?? 443 } };
    }
    const ep = clientSettingText(ctx.target, 'endpoint');
    // where the endpoint comes from (FLYTE_PLATFORM_URL overrides the file), and the fix phrased for it
    const where = clientWhere(ctx.target, 'endpoint');
    const fromEnv = setting(ctx.target, 'client.endpoint').origin === 'env';
    const setEp = (v: string) => clientFix(ctx.target, 'endpoint', v) ?? `set admin.endpoint: ${v}${file}`;
    const envNote = fromEnv ? ` (${CLIENT_SETTINGS.endpoint.env} in the environment overrides admin.endpoint${file}: change or unset it there)` : '';
    if (/^unix(-abstract)?:/i.test(c.endpoint.trim())) {
      return { status: 'skip', message: `${ep} is a Unix-domain socket: flytectl (grpc-go) and pyflyte (gRPC) dial it on this machine; flyte-doctor checks network endpoints (host:port) only` };
    }
    let p;
    try {
      p = parseAdminEndpoint(c.endpoint);
    } catch (e) {
      if (!(e instanceof EndpointSyntaxError)) throw e;
      const fix = e.suggestion ? clientFix(ctx.target, 'endpoint', e.suggestion) : undefined;
      return {
        status: 'fail', messageId: 'malformed', cause: cause.config('admin.endpoint'), message: `${ep}: ${e.reason}`,
        hint: fix ? `${fix}${fromEnv ? '' : ` (flytectl config init --host ${e.suggestion!.replace(/^dns:\/\/\//, '')} writes it)`}` : setEp('dns:///<host>[:<port>]'),
        details: { endpoint: c.endpoint, reason: e.reason, ...(c.configPath ? { configPath: c.configPath } : {}) } as Record<string, Json>,
      };
    }
    const details = { endpoint: c.endpoint, host: p.host, port: p.port, insecure: c.insecure, ...(c.configPath ? { configPath: c.configPath } : {}) };
    // pyflyte reads another file first (a legacy ./flytekit.config or ~/.flyte/config, or
    // _FLYTECTL_CONFIG_PYFLYTE_OVERRIDE) and it names another endpoint: the two clients part ways.
    const pyFile = ctx.target.provenance['client.pyflyteConfig'];
    const pyEp = ctx.target.provenance['client.pyflyteEndpoint'];
    if (!fromEnv && setting(ctx.target, 'client.endpoint').origin !== 'flag' && pyFile && pyEp && pyEp !== c.endpoint.replace('dns:///', '')) {
      const ini = !/\.ya?ml$/i.test(pyFile);
      return {
        status: 'warn', messageId: 'pyflyteOtherConfig', cause: cause.config('admin.endpoint'),
        message: `flytectl reads ${c.configPath ?? 'its config'} (admin.endpoint ${c.endpoint}), but pyflyte reads ${pyFile} first (${ini ? '[platform] url' : 'admin.endpoint'} ${pyEp}): the two clients dial different endpoints; flyte-doctor checks flytectl's`,
        hint: `${ini ? `remove or rename ${pyFile} (a legacy flytekit config, read before ~/.flyte/config.yaml)` : `make ${pyFile} and ${c.configPath ?? 'the flytectl config'} agree`} if ${c.endpoint} is the endpoint meant; else run flyte-doctor with --endpoint dns:///${pyEp}`,
        details: { ...details, pyflyteConfig: pyFile, pyflyteEndpoint: pyEp },
      };
    }
    if (p.port === 8088) {
      return { status: 'warn', messageId: 'httpPort', message: `${where} uses port 8088, flyteadmin's HTTP port: it serves gRPC only when server.security.secure is true`, hint: `dial gRPC instead: the ingress (admin.endpoint: dns:///<ingress host>, insecure: false) or flyteadmin's gRPC port (admin.endpoint: dns:///${p.host}:8089, admin.insecure: true)${envNote}`, details };
    }
    if (STALE_SANDBOX.has(p.port)) {
      return { status: 'warn', messageId: 'staleSandboxPort', message: `${where} uses port ${p.port}, a port of the old flytectl sandbox; flytectl demo serves HTTP and gRPC on 30080`, hint: fromEnv ? setEp(`dns:///${p.host}:30080`) : `set admin.endpoint: dns:///${p.host}:30080 (flytectl config init, or export FLYTECTL_CONFIG=~/.flyte/config-sandbox.yaml)`, details };
    }
    // (a values host Kubernetes refuses is ingress.host.valid's finding: no comparison with it, and never a fix that copies it)
    const ingHost = ctx.target.ingress?.host && !ingressHostProblem(ctx.target.ingress.host) ? ctx.target.ingress.host : undefined;
    if ((p.host === 'localhost' || p.host === '127.0.0.1') && ingHost && ingHost !== p.host && !/^(localhost|127\.)/.test(ingHost)) {
      return { status: 'warn', messageId: 'localhost', message: `${where} dials ${p.host}:${p.port} while the deployment's ingress host is ${ingHost}`, hint: `${setEp(`dns:///${ingHost}`)} unless you mean a port-forward`, details };
    }
    // Another name than the Ingress's host (not an address, not a cluster-internal name, not covered by a wildcard).
    const ing = ctx.target.ingress;
    if (ingHost && ing?.enabled !== false && !isIP(p.host) && !isIP(ingHost) && !isClusterInternal(p.host) && !isClusterInternal(ingHost)
      && p.host.toLowerCase() !== ingHost.toLowerCase() && !(ingHost.startsWith('*.') && p.host.toLowerCase().endsWith(ingHost.slice(1).toLowerCase()))) {
      const typo = closeNames(p.host, [ingHost]).length > 0;
      const ingKey = setting(ctx.target, 'ingress.host');
      const setIngress = `${ingKey.key ?? 'the Ingress host key'}: ${p.host}${ingKey.file && ingKey.file !== '--set' ? ` in ${ingKey.file}` : ''}`;
      const setClient = clientFix(ctx.target, 'endpoint', c.endpoint.replace(p.host, ingHost)) ?? `set admin.endpoint: dns:///${ingHost}`;
      return {
        // which of the two is wrong shows where a finding observes one of the hosts (it does not resolve, no Ingress serves it)
        status: 'warn', messageId: 'otherHost', cause: cause.hostMismatch(p.host, ingHost),
        message: `${where} dials ${p.host}, but the values give the Ingress host ${ingHost}${typo ? ' (one typo away)' : ''} (${ingKey.source}): the Ingress answers only for ${ingHost}, so ${p.host}'s requests get the controller's default backend (HTTP 404, gRPC UNIMPLEMENTED) unless another Ingress serves it`,
        hint: typo ? `${setClient} (or, if ${p.host} is the name meant, set ${setIngress})` : `make them the same name: ${setClient}, or set ${setIngress} (and its DNS record and certificate)`,
        details: { ...details, ingressHost: ingHost },
      };
    }
    return { status: 'pass', messageId: 'wellFormed', message: `admin.endpoint ${c.endpoint}: host ${p.host}, port ${p.port}${p.explicitPort ? '' : ' (default)'}`, details };
  },
});
