// Checks of area 'auth', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import clientToken from './client.token.js';
import clientType from './client.type.js';
import discoveryGrpc from './discovery.grpc.js';
import discoveryMetadata from './discovery.metadata.js';
import oidcIssuer from './oidc.issuer.js';
import oidcJwks from './oidc.jwks.js';
import publicUri from './public.uri.js';

export const checks: readonly Check[] = [clientToken, clientType, discoveryGrpc, discoveryMetadata, oidcIssuer, oidcJwks, publicUri];
