// Flyte's gRPC messages as the checks use them (and grpc.health.v1's response, src/clients/grpc.ts),
// in the protobuf wire format by hand, instead of
// loading @flyteorg/flyteidl's static protobufjs module (the whole of flyteidl: ~20-30 ms and ~10 MB
// of every verify, for a handful of string fields). Every request the checks send is an empty
// message (zero bytes). Every response is walked field by field: a truncated field, a wire type
// that does not exist or does not match a known field's type, or bytes left over make it "not the
// method's response message", as protobufjs's decoder would say. Fields the checks do not read are
// checked and skipped. The JSON is what the static module's messages gave (camelCase names, a string
// field only when sent, a repeated field always); test/checks/ingress/flyteidl-wire.test.ts holds it
// to @flyteorg/flyteidl's own encoder and decoder.
import type { Json } from '../engine/types.js';

type Kind = 'string' | 'strings' | Schema | { enum: readonly string[] };
/** A message: field number -> [JSON name, kind]. Unknown fields are skipped after being checked. */
export interface Schema { name: string; fields: Record<number, [string, Kind]> }

const VERSION: Schema = { name: 'flyteidl.admin.Version', fields: { 1: ['Build', 'string'], 2: ['Version', 'string'], 3: ['BuildTime', 'string'] } };

/** The response messages the checks decode, by method path (the rest are checked and not read). */
export const RESPONSES: Record<string, Schema> = {
  '/flyteidl.service.AdminService/GetVersion': { name: 'flyteidl.admin.GetVersionResponse', fields: { 1: ['controlPlaneVersion', VERSION] } },
  '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata': {
    name: 'flyteidl.service.OAuth2MetadataResponse',
    fields: {
      1: ['issuer', 'string'], 2: ['authorizationEndpoint', 'string'], 3: ['tokenEndpoint', 'string'],
      4: ['responseTypesSupported', 'strings'], 5: ['scopesSupported', 'strings'], 6: ['tokenEndpointAuthMethodsSupported', 'strings'],
      7: ['jwksUri', 'string'], 8: ['codeChallengeMethodsSupported', 'strings'], 9: ['grantTypesSupported', 'strings'],
      10: ['deviceAuthorizationEndpoint', 'string'],
    },
  },
  '/flyteidl.service.AuthMetadataService/GetPublicClientConfig': {
    name: 'flyteidl.service.PublicClientAuthConfigResponse',
    fields: {
      1: ['clientId', 'string'], 2: ['redirectUri', 'string'], 3: ['scopes', 'strings'],
      4: ['authorizationMetadataKey', 'string'], 5: ['serviceHttpEndpoint', 'string'], 6: ['audience', 'string'],
    },
  },
};

/** An answer that is not a protobuf message of the expected type (the words match protobufjs's, which classifyGrpcError knows). */
export class WireError extends Error { override readonly name = 'WireError'; }

function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 10; i++) {
    if (at >= b.length) throw new WireError(`index out of range: ${at} + 1 > ${b.length}`);
    const byte = b[at++]!;
    // only the low 53 bits are kept (lengths and tags are far smaller; other varints are skipped)
    if (i < 7) v += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [v, at];
  }
  throw new WireError('invalid varint encoding');
}

// (lenient, as protobufjs's reader: invalid UTF-8 becomes U+FFFD, not an error)
const utf8 = new TextDecoder('utf-8');

/**
 * Decodes `b` as the message `schema` (undefined: any message, nothing read) into protobufjs's JSON.
 * Throws WireError when the bytes are not such a message.
 */
export function decodeMessage(b: Uint8Array, schema?: Schema, depth = 0): Record<string, Json> {
  if (depth > 32) throw new WireError('max depth exceeded');
  const out: Record<string, Json> = {};
  // (protobufjs's static messages hold every repeated field, sent or not, as an array)
  for (const [name, kind] of Object.values(schema?.fields ?? {})) if (kind === 'strings') out[name] = [];
  let at = 0;
  while (at < b.length) {
    let tag: number;
    [tag, at] = varint(b, at);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw new WireError(`illegal tag: field no 0 (wire type ${wire}) at offset ${at}`);
    const known = schema?.fields[field];
    const isEnum = known !== undefined && typeof known[1] === 'object' && 'enum' in known[1];
    if (known && wire !== (isEnum ? 0 : 2)) throw new WireError(`invalid wire type ${wire} for ${schema!.name} field ${field} (${known[0]}) at offset ${at}`);
    switch (wire) {
      case 0: {
        let v: number;
        [v, at] = varint(b, at);
        // an enum: its name (protobufjs's JSON), the number when the enum has no name for it
        if (isEnum) out[known![0]] = (known![1] as { enum: readonly string[] }).enum[v] ?? String(v);
        break;
      }
      case 1: at += 8; break;
      case 5: at += 4; break;
      case 2: {
        let len: number;
        [len, at] = varint(b, at);
        if (at + len > b.length) throw new WireError(`index out of range: ${at} + ${len} > ${b.length}`);
        const bytes = b.subarray(at, at + len);
        at += len;
        if (!known) break;
        const [name, kind] = known;
        if (kind === 'string') out[name] = utf8.decode(bytes);
        else if (kind === 'strings') ((out[name] ??= []) as Json[]).push(utf8.decode(bytes));
        else out[name] = decodeMessage(bytes, kind as Schema, depth + 1);
        break;
      }
      default: throw new WireError(`invalid wire type ${wire} at offset ${at}`);
    }
    if (at > b.length) throw new WireError(`index out of range: ${at} > ${b.length}`);
  }
  return out;
}
