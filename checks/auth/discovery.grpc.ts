import { adminEndpoint } from '../../src/config/endpoints.js';
import { authMetadata, grpcCallSetup, grpcFailureOutcome } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';
import { useAuthKey } from './discovery.metadata.js';

export default defineCheck({
  id: 'auth.discovery.grpc',
  title: 'AuthMetadataService answers over gRPC (anonymously)',
  phases: ['verify'],
  needs: ['auth', 'endpoint'],
  timeoutMs: 8000,
  explain: {
    what: 'Calls `flyteidl.service.AuthMetadataService` GetOAuth2Metadata and GetPublicClientConfig on the admin endpoint, without a token, as flytectl does before it logs in.',
    why: 'Go clients fetch auth metadata over gRPC; when /flyteidl.service.AuthMetadataService is not routed (or auth is off on the server) they fail with "failed to fetch auth metadata" and fall back to an unauthenticated client.',
    fix: 'Route `/flyteidl.service.AuthMetadataService` and `/flyteidl.service.AuthMetadataService/*` on the gRPC ingress; enable auth on the server.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const t = adminEndpoint(ctx.target)!;
    const { o, timeoutMs, where } = await grpcCallSetup(ctx, t);
    try {
      const m = await authMetadata(ctx, t, o, timeoutMs);
      return { status: 'pass', message: `AuthMetadataService at ${where}: issuer ${String(m.oauth2.issuer ?? '?')}, client_id ${String(m.publicClient.clientId ?? '?')}`, details: { endpoint: where, issuer: m.oauth2.issuer ?? '', tokenEndpoint: m.oauth2.tokenEndpoint ?? '', clientId: m.publicClient.clientId ?? '', authorizationMetadataKey: m.publicClient.authorizationMetadataKey ?? '' } };
    } catch (err) {
      const out = await grpcFailureOutcome(ctx, t, o, err, '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata', timeoutMs);
      if (!out) return { status: 'fail', messageId: 'notAnonymous', message: `AuthMetadataService at ${where} answered UNAUTHENTICATED; it must be anonymous so clients can discover how to log in`, hint: 'remove authentication in front of /flyteidl.service.AuthMetadataService (ingress auth, WAF); flyteadmin serves it without a token', details: { endpoint: where, grpcCode: 'UNAUTHENTICATED' } };
      if (out.messageId === 'wrongBackend') {
        return { ...out, messageId: 'authOffOnServer', message: `AuthMetadataService at ${where} is UNIMPLEMENTED: flyteadmin registers it only when auth is on`, hint: `enable auth on the server (${useAuthKey(ctx.target)}), or drop admin.authType from the client config for an open deployment` };
      }
      if (out.messageId === 'grpcNotRouted') out.hint = 'add /flyteidl.service.AuthMetadataService and /flyteidl.service.AuthMetadataService/* to the gRPC ingress paths (flyte-binary before PR #5185 listed the prefix without /*)';
      return out;
    }
  },
});
