// grpc.health.v1's two messages are encoded by hand (src/clients/grpc.ts): checked against the
// reference package's own serializers (grpc-health-check, which the test servers use), both ways.
import { describe, expect, it } from 'vitest';
import { service as healthService } from 'grpc-health-check';
import { decodeHealthResponse, encodeHealthRequest } from '../../../src/clients/grpc.js';

const check = healthService.Check!;

describe('grpc.health.v1 codec', () => {
  it('HealthCheckRequest: the same bytes as the reference serializer', () => {
    for (const service of ['', 'flyteidl.service.AdminService', 'x', 'ü-unicode', 'a'.repeat(200), 'b'.repeat(20_000)]) {
      expect(encodeHealthRequest(service).equals(check.requestSerialize({ service })), service.slice(0, 30)).toBe(true);
    }
  });

  it('HealthCheckResponse: the status names the reference deserializer gives, unknown numbers as numbers', () => {
    for (const status of ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']) {
      expect(decodeHealthResponse(check.responseSerialize({ status } as never))).toBe(status);
    }
    expect(decodeHealthResponse(Buffer.alloc(0))).toBe('UNKNOWN'); // proto3: an absent field is the default
    expect(decodeHealthResponse(Buffer.from([0x08, 0x07]))).toBe('7');
    // unknown fields of every wire type are skipped
    expect(decodeHealthResponse(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x08, 0x01]))).toBe('SERVING');
  });

  it('bytes that are not the message throw (grpc-js then reports the call as failed, not a status)', () => {
    for (const bad of [[0x08], [0x08, 0x80], [0x0a, 0x05, 0x61], [0x0b], [0x00, 0x01], [0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e]]) {
      expect(() => decodeHealthResponse(Buffer.from(bad)), JSON.stringify(bad)).toThrow(/invalid HealthCheckResponse/);
    }
  });
});
