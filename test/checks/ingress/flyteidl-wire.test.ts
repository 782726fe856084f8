// Flyte's gRPC responses are decoded by hand (src/clients/flyteidl-wire.ts): held here to
// @flyteorg/flyteidl's own static protobufjs module (what the test bed's flyteadmin answers with, and
// what the checks used to load), both for what is decoded and for what is refused.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { RESPONSES, WireError, decodeMessage } from '../../../src/clients/flyteidl-wire.js';
import { classifyGrpcError } from '../../../src/clients/grpc.js';

type FlyteIdl = typeof import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
const { flyteidl } = createRequire(import.meta.url)('@flyteorg/flyteidl/gen/pb-js/flyteidl.js') as FlyteIdl;

interface Type { encode(m: object): { finish(): Uint8Array }; decode(b: Uint8Array): object }
const types: Record<string, Type> = {
  '/flyteidl.service.AdminService/GetVersion': flyteidl.admin.GetVersionResponse as unknown as Type,
  '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata': flyteidl.service.OAuth2MetadataResponse as unknown as Type,
  '/flyteidl.service.AuthMetadataService/GetPublicClientConfig': flyteidl.service.PublicClientAuthConfigResponse as unknown as Type,
};
const reference = (path: string, b: Uint8Array) => JSON.parse(JSON.stringify(types[path]!.decode(b))) as unknown;
const encode = (path: string, o: object) => types[path]!.encode(o).finish();

const samples: Record<string, object[]> = {
  '/flyteidl.service.AdminService/GetVersion': [
    {}, { controlPlaneVersion: {} },
    { controlPlaneVersion: { Version: 'v1.16.8', Build: 'f0a1b2c', BuildTime: '2025-06-01T10:00:00Z' } },
    { controlPlaneVersion: { Version: 'ü ✓ 中文', Build: 'x'.repeat(300) } },
  ],
  '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata': [
    {},
    {
      issuer: 'https://idp.example.org', authorizationEndpoint: 'https://idp.example.org/authorize', tokenEndpoint: 'https://idp.example.org/token',
      responseTypesSupported: ['code', 'token'], scopesSupported: ['offline', 'all'], tokenEndpointAuthMethodsSupported: ['client_secret_basic'],
      jwksUri: 'https://idp.example.org/keys', codeChallengeMethodsSupported: ['S256'], grantTypesSupported: ['authorization_code', 'refresh_token', 'client_credentials'],
      deviceAuthorizationEndpoint: 'https://idp.example.org/device',
    },
    { scopesSupported: [''] },
  ],
  '/flyteidl.service.AuthMetadataService/GetPublicClientConfig': [
    {},
    { clientId: 'flytectl', redirectUri: 'http://localhost:53593/callback', scopes: ['offline', 'all'], authorizationMetadataKey: 'flyte-authorization', serviceHttpEndpoint: 'https://flyte.example.org', audience: 'https://flyte.example.org' },
  ],
};

describe('Flyte responses in the wire format', () => {
  it('decodes every response the checks read exactly as protobufjs\'s JSON of it', () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(RESPONSES).sort());
    let n = 0;
    for (const [path, list] of Object.entries(samples)) {
      for (const o of list) {
        const b = encode(path, o);
        expect(decodeMessage(b, RESPONSES[path]), `${path} ${JSON.stringify(o).slice(0, 60)}`).toEqual(reference(path, b));
        n++;
      }
    }
    expect(n).toBe(9);
    // the full GetVersion sample really has the fields (the comparison above cannot pass on two empty objects)
    expect(decodeMessage(encode('/flyteidl.service.AdminService/GetVersion', samples['/flyteidl.service.AdminService/GetVersion']![2]!), RESPONSES['/flyteidl.service.AdminService/GetVersion']))
      .toEqual({ controlPlaneVersion: { Version: 'v1.16.8', Build: 'f0a1b2c', BuildTime: '2025-06-01T10:00:00Z' } });
  });

  it('skips fields it does not know, of every wire type (a newer flyteadmin), as protobufjs does', () => {
    const path = '/flyteidl.service.AuthMetadataService/GetPublicClientConfig';
    const known = encode(path, { clientId: 'flytectl' });
    // field 20 varint (a 10-byte one), field 21 fixed64, field 22 bytes, field 23 fixed32
    const extra = Buffer.from([0xa0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xb2, 0x01, 0x02, 0x61, 0x62, 0xbd, 0x01, 1, 2, 3, 4]);
    const b = Buffer.concat([extra, known, extra]);
    expect(decodeMessage(b, RESPONSES[path])).toEqual({ clientId: 'flytectl', scopes: [] });
    expect(reference(path, b)).toEqual({ clientId: 'flytectl', scopes: [] });
  });

  it('checks the responses it does not read (signals, uploads, user info) and resolves them as {}', () => {
    const others: [Type, object][] = [
      [flyteidl.admin.SignalList as unknown as Type, { signals: [{ id: { signalId: 's1', executionId: { project: 'p', domain: 'd', name: 'n' } } }], token: 't' }],
      [flyteidl.service.CreateUploadLocationResponse as unknown as Type, { signedUrl: 'https://s3/x?sig=1', nativeUrl: 's3://b/x', expiresAt: { seconds: 1700000000, nanos: 5 } }],
      [flyteidl.service.UserInfoResponse as unknown as Type, { subject: 'u1', name: 'User', email: 'u@example.org', additionalClaims: { fields: { a: { stringValue: 'b' } } } }],
    ];
    for (const [T, o] of others) {
      const b = T.encode(o).finish();
      expect(b.length).toBeGreaterThan(10);
      expect(decodeMessage(b)).toEqual({});
    }
  });

  it('refuses bytes that are not a protobuf message of the type; the failure is "not the method\'s response"', () => {
    const path = '/flyteidl.service.AdminService/GetVersion';
    const good = Buffer.from(encode(path, samples[path]![2]!));
    const bad: [string, Buffer][] = [
      ['truncated in a string', good.subarray(0, good.length - 3)],
      ['truncated in a varint', Buffer.from([0x0a, 0x80])],
      ['a length past the end', Buffer.from([0x0a, 0x05, 0x0a, 0x01])],
      ['wire type 3 (group start)', Buffer.from([0x0b])],
      ['wire type 7', Buffer.from([0x17, 0x00])],
      ['field number 0', Buffer.from([0x00, 0x01])],
      ['a known field with another wire type', Buffer.from([0x08, 0x01])],
      ['an HTML page', Buffer.from('<html><body>404 Not Found</body></html>')],
      ['a varint of 11 bytes', Buffer.from([0xa0, 0x01, ...Array(10).fill(0xff), 0x01])],
      ['fixed64 cut short', Buffer.from([0xa9, 0x01, 1, 2, 3])],
    ];
    for (const [what, b] of bad) {
      let err: unknown;
      try { decodeMessage(b, RESPONSES[path]); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(WireError);
      const f = classifyGrpcError(err);
      expect(f, what).toMatchObject({ kind: 'protocol', code: 'INTERNAL' });
      expect(f.detail, what).toMatch(/^the answer is not the method's response message: /);
    }
    // protobufjs refuses the others too; this decoder is stricter on a known field's wire type
    // (protobufjs reads field 1 as a Version whatever its wire type), on field number 0 and on
    // varints over 10 bytes (both invalid in the encoding, as Go's decoder says; protobufjs skips them)
    expect(reference(path, Buffer.from([0x0f, 0x00]))).toEqual({ controlPlaneVersion: {} });
    expect(() => decodeMessage(Buffer.from([0x0f, 0x00]), RESPONSES[path])).toThrow(WireError);
    const stricter = new Set(['a known field with another wire type', 'field number 0', 'a varint of 11 bytes']);
    for (const [what, b] of bad.filter(([w]) => !stricter.has(w))) {
      expect(() => reference(path, b), what).toThrow();
    }
  });
});
