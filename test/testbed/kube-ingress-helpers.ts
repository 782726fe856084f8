// Helpers for the test-bed tests of the admin backend, nginx and kube (not a test file itself).
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { getTestbed, testbedDir, type Testbed } from '../harness/testbed.js';
import { makeContext, stopAll, type InfraContext } from '../infra/common.js';

type FlyteIdl = typeof import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
export const { flyteidl } = createRequire(import.meta.url)('@flyteorg/flyteidl/gen/pb-js/flyteidl.js') as FlyteIdl;

/** True when `npm run testbed:up` / the global setup has written state.json: tests then use it. */
export function testbedIsUp(): boolean {
  return existsSync(join(testbedDir(), 'state.json'));
}
export function bed(): Testbed { return getTestbed(); }

/** A private context in a temp dir, for tests that start their own servers when no test bed is up. */
export function tempContext(): { ctx: InfraContext; stop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'flyte-doctor-tb-'));
  const ctx = makeContext(dir, () => {});
  return { ctx, stop: () => stopAll(dir) };
}

interface Codec<T> { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }
export interface UnaryOpts { creds?: grpc.ChannelCredentials; metadata?: grpc.Metadata; servername?: string; timeoutMs?: number }

/** One unary call on `path` with flyteidl codecs. Resolves the response, rejects with the grpc-js ServiceError. */
export function grpcUnary<Req, Res>(target: string, path: string, req: Codec<Req>, res: Codec<Res>, msg: Req, o: UnaryOpts = {}): Promise<Res> {
  const options: grpc.ChannelOptions = o.servername ? { 'grpc.ssl_target_name_override': o.servername, 'grpc.default_authority': o.servername } : {};
  const client = new grpc.Client(target, o.creds ?? grpc.credentials.createInsecure(), options);
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(path, (m: Req) => Buffer.from(req.encode(m).finish()), (b: Buffer) => res.decode(b), msg,
      o.metadata ?? new grpc.Metadata(), { deadline: Date.now() + (o.timeoutMs ?? 5000) },
      (err, value) => { client.close(); if (err) reject(err); else resolve(value as Res); });
  });
}

export function getVersion(target: string, o: UnaryOpts = {}) {
  const A = flyteidl.admin;
  return grpcUnary(target, '/flyteidl.service.AdminService/GetVersion', A.GetVersionRequest, A.GetVersionResponse, A.GetVersionRequest.create(), o);
}

const HealthClient = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
/** grpc.health.v1.Health/Check -> status string (e.g. SERVING). */
export function healthCheck(target: string, o: UnaryOpts & { service?: string } = {}): Promise<string> {
  const options: grpc.ChannelOptions = o.servername ? { 'grpc.ssl_target_name_override': o.servername, 'grpc.default_authority': o.servername } : {};
  const client = new HealthClient(target, o.creds ?? grpc.credentials.createInsecure(), options);
  return new Promise((resolve, reject) => {
    (client as unknown as { check: (r: object, md: grpc.Metadata, opt: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { status: string | number }) => void) => void })
      .check({ service: o.service ?? '' }, new grpc.Metadata(), { deadline: Date.now() + (o.timeoutMs ?? 5000) }, (err, r) => {
        client.close();
        if (err) reject(err); else resolve(String(r?.status));
      });
  });
}

/** Awaits a promise that must reject; returns the error. */
export async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try { await p; } catch (e) { return e as grpc.ServiceError; }
  throw new Error('expected the call to fail, it succeeded');
}
