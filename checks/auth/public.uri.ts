import { adminHttpBase, ingressHttpBase, isClusterInternal } from '../../src/config/endpoints.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { fullnameOf } from '../../src/flyte/ingress.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import type { Target } from '../../src/config/target.js';

/** The values key of flyteadmin's authorizedUris. */
export function urisKey(t: Target): string {
  return t.auth.valuesKey === 'configuration.auth' ? 'configuration.auth.authorizedUris' : `${t.auth.valuesKey}.authorizedUris`;
}

/** scheme://host[:port] of a URI, lowercased, the default port left out; undefined when it is not an absolute http(s) URL. */
function originOf(u: string): string | undefined {
  try {
    const x = new URL(u.trim());
    return x.protocol === 'http:' || x.protocol === 'https:' ? x.origin.toLowerCase() : undefined;
  } catch { return undefined; }
}
const hostOf = (origin: string) => new URL(origin).host;

/** The in-cluster URIs flyte-binary's chart appends to the list (templates/_helpers.tpl, facts §G). */
function chartInternalUris(t: Target): string[] {
  const fn = fullnameOf(t);
  const ns = t.kubernetes.namespace;
  return [`http://${fn}:8088`, `http://${fn}.${ns}:8088`, `http://${fn}.${ns}.svc:8088`, `http://${fn}.${ns}.svc.cluster.local:8088`];
}

export default defineCheck({
  id: 'auth.public.uri',
  title: 'The public URL clients use is one of flyteadmin\'s authorizedUris',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  messages: {
    listed: { status: 'pass', summary: 'Every public URL clients use (the console\'s and the admin endpoint\'s) is in authorizedUris, scheme and port included.' },
    noPublicUrl: { status: 'skip', summary: 'No public URL is known (no Ingress host, no admin endpoint) to compare with.' },
    notConfigured: { status: 'skip', summary: 'No authorizedUris are known here (a server config or render without them).' },
    publicUrlMissing: { status: 'fail', summary: 'A public URL clients use is not in authorizedUris: flyteadmin then takes the first entry as its public URL (issuer, token endpoint, token audience) for those requests, and clients\' tokens are rejected ("invalid audience") or logins go to an address they cannot reach.' },
    otherScheme: { status: 'fail', summary: 'The public host is in authorizedUris with another scheme or port (http where clients use https): the issuer and token endpoint flyteadmin announces are not the ones clients reach.' },
    internalNamespace: { status: 'warn', summary: 'The in-cluster URIs name another namespace than the release\'s (flyte-core\'s default hard-codes `flyte`): Flyte\'s own components calling flyteadmin in-cluster get tokens for an address that is not listed.' },
  },
  explain: {
    what: 'Compares the public URLs clients use (the Ingress URL of the console and the admin endpoint of the client config, as scheme://host[:port]) with flyteadmin\'s `auth.authorizedUris` (flyte-binary `configuration.auth.authorizedUris`, to which the chart appends its in-cluster service URIs; flyte-core `configmap.adminServer.auth.authorizedUris`, whose default is the sandbox\'s `https://localhost:30081` and namespace `flyte`). Also that the in-cluster entries name the release namespace.',
    why: 'flyteadmin picks the public URL of each request (the issuer and token endpoint of `/.well-known/oauth-authorization-server`, the audience its tokens carry and accept) by matching the request\'s host against authorizedUris, and falls back to the first entry. A public URL that is not listed makes tokens fail with "invalid audience" and sends logins to an address clients cannot reach (failure mode A4).',
    fix: 'Add the exact public URL (https://<your host>, with the port when not 443) to authorizedUris; keep the in-cluster service URIs of the namespace Flyte runs in.',
  },
  async run(ctx) {
    const t = ctx.target;
    const key = urisKey(t);
    const s = setting(t, 'auth.authorizedUris');
    const own = t.auth.authorizedUris;
    if (own === undefined) return { status: 'skip', messageId: 'notConfigured', message: `no authorizedUris are known here (${key})` };
    const all = [...own, ...(t.auth.chartAddsInternalUris ? chartInternalUris(t) : [])];
    const ingressHost = t.ingress?.enabled && t.ingress.host ? `${t.ingress.tls ? 'https' : 'http'}://${t.ingress.host}` : undefined;
    const publics = [...new Set([ingressHost, ingressHttpBase(t), adminHttpBase(t)].map((u) => (u ? originOf(u) : undefined)).filter((o): o is string => !!o && !isClusterInternal(new URL(o).hostname)))];
    if (!publics.length) return { status: 'skip', messageId: 'noPublicUrl', message: 'no public URL is known (no Ingress host, no admin endpoint) to compare authorizedUris with' };
    const origins = all.map(originOf);
    const listed = (o: string) => origins.includes(o);
    const shownList = all.length ? all.join(', ') : '(empty)';
    const where = s.origin === 'file' ? ` (${whereSet(s)})` : s.origin === 'chart-default' ? ' (the chart default)' : '';
    const inFile = s.origin === 'file' && s.file && s.file !== '--set' ? ` in ${s.file}` : '';
    const missing = publics.filter((o) => !listed(o));
    const details = { authorizedUris: all, publicUrls: publics };
    if (missing.length) {
      const o = missing[0]!;
      const sameHost = all.find((u) => { const x = originOf(u); return x !== undefined && new URL(x).hostname === new URL(o).hostname; });
      const first = all[0];
      if (sameHost) {
        return {
          status: 'fail', messageId: 'otherScheme', cause: cause.config(key),
          message: `clients use ${o}, but authorizedUris${where} list its host as ${sameHost}: flyteadmin announces ${originOf(sameHost)} as issuer and token endpoint, which is not the address clients reach`,
          hint: `write ${o} in ${key}${inFile} (scheme and port as clients use them)`, details,
        };
      }
      return {
        status: 'fail', messageId: 'publicUrlMissing', cause: cause.config(key),
        message: `clients use ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not in authorizedUris${where}: ${shownList}; flyteadmin matches each request's host against that list and otherwise takes ${first ? `the first entry, ${first},` : 'no public URL'} as its issuer and token audience, so tokens for ${hostOf(o)} are rejected ("invalid audience") and logins are sent ${first ? `to ${first}` : 'nowhere'}`,
        hint: `add ${missing.join(' and ')} to ${key}${inFile}${t.auth.chartAddsInternalUris ? ' (the chart appends the in-cluster URIs itself)' : ', keeping the in-cluster service URIs'}`,
        details,
      };
    }
    if (!t.auth.chartAddsInternalUris) {
      const ns = t.kubernetes.namespace;
      const other = all.map((u) => ({ u, m: /^https?:\/\/[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?(:\d+)?\/?$/i.exec(u.trim()) })).find((x) => x.m && x.m[1]!.toLowerCase() !== ns);
      if (other) {
        return {
          status: 'warn', messageId: 'internalNamespace', cause: cause.config(key),
          message: `${other.u} in authorizedUris${where} names namespace ${other.m![1]}, but Flyte runs in ${ns}: flyteadmin's own components calling it in-cluster get tokens for an address that is not listed`,
          hint: `write ${other.u.replace(`.${other.m![1]}.svc`, `.${ns}.svc`)} in ${key}${inFile}`, details,
        };
      }
    }
    return { status: 'pass', messageId: 'listed', message: `${publics.join(' and ')} ${publics.length === 1 ? 'is' : 'are'} in authorizedUris${where} (${all.length} entr${all.length === 1 ? 'y' : 'ies'})`, details };
  },
});
