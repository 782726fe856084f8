// A Kubernetes API server of a test's own on 127.0.0.1 (plain HTTP, one bearer token), for
// cluster-wide evidence a test may not create on the shared test bed (two default StorageClasses,
// an autoscaler's status, a deny from a webhook authorizer, a /version no real server answers).
// It answers /version (v1.33.13) and /api unless the test's routes do, the routes next, and a
// NotFound Status for everything else; it writes a kubeconfig that points at it.
import type { IncomingMessage } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startHttp } from './private-servers.js';

export type ApiAnswer = { status: number; body: unknown } | undefined;
export interface ApiServer { port: number; kubeconfig: string; stop(): Promise<void> }

export async function startApiServer(dir: string, o: { token: string; user?: string; route: (path: string, req: IncomingMessage, body: Buffer) => ApiAnswer }): Promise<ApiServer> {
  const server = await startHttp((req, res, raw) => {
    const path = (req.url ?? '').split('?')[0]!;
    const a = o.route(path, req, raw)
      ?? (path === '/version' ? { status: 200, body: { major: '1', minor: '33', gitVersion: 'v1.33.13' } }
        : path === '/api' ? { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } }
          : { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' } });
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  const kubeconfig = join(dir, 'kubeconfig');
  const user = o.user ?? 'u';
  writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'x', cluster: { server: `http://127.0.0.1:${server.port}` } }], users: [{ name: user, user: { token: o.token } }], contexts: [{ name: 'c', context: { cluster: 'x', user } }], 'current-context': 'c' }));
  return { port: server.port, kubeconfig, stop: () => server.stop() };
}
