import { adminEndpoint } from '../../src/config/endpoints.js';
import { callFlyteMethod } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { GRPC_MESSAGES, grpcProbe } from '../ingress/_support.js';
import { judgeEndpoints } from './discovery.metadata.js';

export default defineCheck({
  id: 'auth.discovery.grpc',
  title: 'AuthMetadataService answers over gRPC (anonymously)',
  phases: ['verify'],
  needs: ['auth', 'endpoint'],
  dependsOn: ['client.config.tls-mode'],
  timeoutMs: 8000,
  messages: {
    ...GRPC_MESSAGES,
    endpointUnreachable: { status: 'fail', summary: 'AuthMetadataService announces a token endpoint on an address that does not answer from here (a cluster-internal name, another scheme or port): flytectl fetches this metadata over gRPC, then fails to log in.' },
    endpointInternal: { status: 'warn', summary: 'AuthMetadataService announces a token endpoint on a cluster-internal name: it answers from here, but users outside the cluster cannot resolve it.' },
    endpointOtherScheme: { status: 'warn', summary: 'AuthMetadataService announces the token endpoint on the public host with another scheme or port than clients use.' },
    answers: { status: 'pass', summary: 'AuthMetadataService served the OAuth2 metadata and the public client config without a token.' } },
  explain: {
    what: 'Calls `flyteidl.service.AuthMetadataService` GetOAuth2Metadata and GetPublicClientConfig on the admin endpoint, without a token, as flytectl does before it logs in.',
    why: 'Go clients fetch auth metadata over gRPC; when /flyteidl.service.AuthMetadataService is not routed (or auth is off on the server) they fail with "failed to fetch auth metadata" and fall back to an unauthenticated client.',
    fix: 'Route `/flyteidl.service.AuthMetadataService` and `/flyteidl.service.AuthMetadataService/*` on the gRPC ingress; enable auth on the server (and roll it out) when the values turn it on.',
  },
  async run(ctx) {
    const t = adminEndpoint(ctx.target)!;
    const svc = GRPC_SERVICES.authmetadata;
    const p = await grpcProbe(ctx, t, svc, async (o, ms) => ({
      oauth2: await callFlyteMethod(ctx, t, o, svc.service, 'GetOAuth2Metadata', ms),
      client: await callFlyteMethod(ctx, t, o, svc.service, 'GetPublicClientConfig', ms),
    }), 'client');
    if (!p.ok) return p.outcome;
    const { oauth2, client } = p.value;
    const details = { endpoint: p.where, issuer: oauth2.issuer ?? '', tokenEndpoint: oauth2.tokenEndpoint ?? '', clientId: client.clientId ?? '', authorizationMetadataKey: client.authorizationMetadataKey ?? '' };
    // flyteadmin picks the public URL from the gRPC request's :authority: what flytectl gets here can differ from the HTTP document
    const finding = await judgeEndpoints(ctx, `AuthMetadataService at ${p.where}`, { issuer: oauth2.issuer, token_endpoint: oauth2.tokenEndpoint }, details, `${t.tls ? 'https' : 'http'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`);
    if (finding) return finding;
    return {
      status: 'pass', messageId: 'answers',
      message: `AuthMetadataService at ${p.where}: issuer ${String(oauth2.issuer ?? '?')}, client_id ${String(client.clientId ?? '?')}`,
      details: { endpoint: p.where, issuer: oauth2.issuer ?? '', tokenEndpoint: oauth2.tokenEndpoint ?? '', clientId: client.clientId ?? '', authorizationMetadataKey: client.authorizationMetadataKey ?? '' },
    };
  },
});
