import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { hostValueParts } from '../../src/config/host-values.js';
import { stepBudget } from '../../src/clients/postgres.js';
import { DnsError, resolveHost } from '../../src/clients/resolve.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { dbSettingKey, dbSource } from '../../src/flyte/database.js';
import { databaseFor, dbInstances, IN_CLUSTER_FIX, runsInCluster } from './_support.js';
import { isClusterInternal, validHostName } from '../../src/config/endpoints.js';
import { isIP } from 'node:net';

const MESSAGES = {
  ipLiteral: { status: 'pass', summary: 'The host is an IP address: nothing to resolve.' },
  resolved: { status: 'pass', summary: 'The host name resolves.' },
  nxdomain: { status: 'fail', summary: 'The host name does not exist (NXDOMAIN) or has no address records.' },
  resolverFailure: { status: 'fail', summary: 'The resolver failed (SERVFAIL) or refused the query.' },
  dnsTimeout: { status: 'fail', summary: 'No DNS answer for the host name.' },
  invalidName: { status: 'fail', summary: 'The host is not a valid DNS name (spaces, braces, quotes, an unrendered Helm template): Flyte fails before any lookup.' },
  notFromHere: { status: 'warn', summary: 'A cluster-internal name (a Kubernetes Service) that this machine cannot resolve: cannot be checked from here (run with --in-cluster).' },
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.dns',
  title: 'The database host name resolves',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  instances: dbInstances,
  timeoutMs: 8000,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Resolves the configured PostgreSQL host (through `--dns-server` when given).',
    why: 'flyteadmin and datacatalog cannot connect to a name that does not resolve; the binary chart\'s wait-for-db init container then waits forever. A cluster-internal name (`postgres.flyte.svc.cluster.local`, `postgres`) only resolves inside the cluster: from a laptop that is not a fault.',
    fix: 'Set the database host values key to a resolvable name (managed database endpoint, in-cluster service name as seen from the Flyte namespace); check cluster-internal names with `--in-cluster`.',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const where = `${db.host}:${db.port}`;
    const hostKey = dbSettingKey(ctx.target, db, 'host');
    const bare = db.host.replace(/^\[|\]$/g, '');
    if (!isIP(bare) && !validHostName(bare)) {
      const tpl = bare.includes('{{');
      const ws = surroundingWhitespace(db.host);
      const trimmedOk = ws && (isIP(bare.trim()) || validHostName(bare.trim()));
      // a URL or host:port in the host key: Flyte's DSN then holds no valid host (the port has its own key)
      const parts = !tpl && !trimmedOk ? hostValueParts(db.host) : undefined;
      if (parts) {
        const portKey = dbSettingKey(ctx.target, db, 'port');
        const portFix = parts.port !== undefined && parts.port !== db.port ? ` and ${portKey}: ${parts.port}` : '';
        return { status: 'fail', messageId: 'invalidName', cause: cause.dns(db.host), message: `the database host ${JSON.stringify(db.host)} ${parts.why}${parts.port !== undefined ? ` (${portKey}${parts.port === db.port ? ` is already ${db.port}` : ` is ${db.port}`})` : ''}: Flyte connects to a host of that name, which does not exist${dbSource(ctx.target, db, 'host')}`,
          hint: `set ${hostKey}: ${parts.host}${portFix}`, details: { host: db.host, meant: parts.host, ...(parts.port !== undefined ? { port: parts.port } : {}) } };
      }
      return { status: 'fail', messageId: 'invalidName', cause: cause.dns(db.host), message: `the database host ${JSON.stringify(db.host.length > 120 ? `${db.host.slice(0, 117)}...` : db.host)} is not a valid host name${tpl ? ': a Helm template the chart renders at install time' : ''}${trimmedOk ? `: it ${ws}` : ''}${dbSource(ctx.target, db, 'host')}`,
        hint: tpl ? `flyte-doctor cannot render it: check the render (\`helm template … | flyte-doctor preflight --manifests -\`), or give the rendered host with --set ${hostKey}=<host>` : trimmedOk ? `set ${hostKey} to ${JSON.stringify(db.host.trim())}, with nothing around it` : `set ${hostKey} to a DNS name or an IP address`, details: { host: db.host } };
    }
    try {
      const r = await resolveHost(db.host, ctx.target.dnsServer, stepBudget(ctx, 5000));
      const literal = r.address === db.host.replace(/^\[|\]$/g, '');
      return {
        status: 'pass', messageId: literal ? 'ipLiteral' : 'resolved',
        message: literal ? `${db.host} is an IP address (no lookup needed)` : `${db.host} resolves to ${r.addresses.join(', ')}`,
        details: { host: db.host, addresses: r.addresses, resolver: ctx.target.dnsServer ?? 'system' },
      };
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      const details = { host: db.host, port: db.port, resolver: e.server, code: e.code, kind: e.kind };
      if (isClusterInternal(db.host) && !runsInCluster(ctx.target)) {
        return {
          status: 'warn', messageId: 'notFromHere', cause: cause.dns(db.host), // the same fault dns.hosts.resolve reports (clusterInternal)
          message: `cannot be checked from this machine: ${db.host} is a cluster-internal name (a Kubernetes Service), which only the cluster's DNS resolves; here it gave ${e.kind === 'nxdomain' ? 'NXDOMAIN' : e.code} via ${e.server}`,
          hint: IN_CLUSTER_FIX,
          details: { ...details, clusterInternal: true, ranFrom: 'this machine', reason: `${db.host} is a cluster-internal name that only the cluster's DNS resolves (${e.kind === 'nxdomain' ? 'NXDOMAIN' : e.code} here)` },
        };
      }
      const fixHost = `set ${hostKey} to the database's real host name${dbSource(ctx.target, db, 'host')}`;
      switch (e.kind) {
        case 'nxdomain': case 'nodata':
          return { status: 'fail', messageId: 'nxdomain', cause: cause.dns(db.host), message: `database host ${db.host} does not resolve (${e.kind === 'nxdomain' ? 'NXDOMAIN' : 'no address records'}) via ${e.server}; Flyte cannot reach ${where}`, hint: `${fixHost}`, details };
        case 'servfail': case 'refused':
          return { status: 'fail', messageId: 'resolverFailure', cause: cause.dns(db.host), message: `the resolver ${e.server} failed to resolve ${db.host} (${e.code})`, hint: `check the DNS zone of ${db.host} and the resolver; or ${fixHost}`, details };
        case 'badresponse': case 'notimp': case 'unreachable': case 'tcpRefused': case 'other':
          return { status: 'fail', messageId: 'resolverFailure', cause: cause.dns(db.host), message: `the resolver ${e.server} failed to resolve ${db.host}: ${e.message.replace(/^[^:]*: /, '').replace(/ via [^ ]+$/, '')}`, hint: `check the resolver ${e.server} (a DNS server that answers A/AAAA queries, reachable from here)`, details };
        default:
          return { status: 'fail', messageId: 'dnsTimeout', cause: cause.dns(db.host), message: `no DNS answer for ${db.host} from ${e.server} (${e.code})`, hint: `check that the resolver ${e.server} is reachable; or ${fixHost}`, details };
      }
    }
  },
});
