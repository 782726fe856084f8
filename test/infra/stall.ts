// The stalling endpoint (accepts, never answers) and a closed port (nothing listens).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Testbed } from '../harness/testbed.js';
import { type InfraContext, isAlive, startDaemon, tcpOpen, waitFor } from './common.js';

export const STALL_PORT = 15999;
export const CLOSED_PORT = 15998;

export async function start(ctx: InfraContext): Promise<{ stall: Testbed['stall']; closedPort: number }> {
  const pidFile = join(ctx.dir, 'pids', 'stall.pid');
  const running = existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && (await tcpOpen(STALL_PORT))) {
    ctx.log(`stall already running on ${STALL_PORT}`);
  } else {
    if (await tcpOpen(STALL_PORT)) throw new Error(`stall: port 127.0.0.1:${STALL_PORT} is taken by another process`);
    startDaemon(ctx, 'stall', process.execPath, [join(import.meta.dirname, 'stall-daemon.mjs'), String(STALL_PORT)]);
    await waitFor(ctx, `stall on 127.0.0.1:${STALL_PORT}`, () => tcpOpen(STALL_PORT), 10_000, 'stall');
  }
  if (await tcpOpen(CLOSED_PORT)) throw new Error(`closedPort 127.0.0.1:${CLOSED_PORT} should have no listener, but something listens there`);
  return { stall: { host: '127.0.0.1', port: STALL_PORT }, closedPort: CLOSED_PORT };
}

export async function healthy(): Promise<boolean> {
  return tcpOpen(STALL_PORT);
}
