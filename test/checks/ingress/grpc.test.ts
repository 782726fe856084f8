import { beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from './private-bed.js';

beforeAll(warmUp, 60_000);

describe('ingress.grpc.*', () => {
  it("ingress.grpc.health: SERVING through nginx", async () => {
    const { result } = await run('ingress.grpc.health', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
  });
  it("ingress.grpc.admin: plaintext h2c to flyteadmin's HTTP port is an HTTP/1.1 listener", async () => {
    const t = bedTarget(bed().nginx.https);
    t.ingress = { ...t.ingress!, tls: false, grpcAddress: `127.0.0.1:${bed().admin.httpPort}` };
    const { result } = await run('ingress.grpc.admin', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('http1Listener');
    expect(result.message).toContain('http1.x');
    expect(result.cause).toBe('config:ingress.tls');
  });
});
