// dnsmasq (Debian dnsmasq-base) on 127.0.0.1:15353 with the test zone:
//   flyte.test and *.flyte.test -> 127.0.0.1 (ingress flyte.test, database db.flyte.test, storage minio.flyte.test)
//   nowhere.flyte.test -> 127.0.0.2 (nothing listens there)
//   *.test otherwise -> NXDOMAIN (--local=/test/); any other name -> REFUSED (no upstream)
import { existsSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import type { Testbed } from '../harness/testbed.js';
import { type InfraContext, isAlive, startDaemon, waitFor } from './common.js';

export const DNS_PORT = 15353;
export const NOWHERE_ADDRESS = '127.0.0.2';
const NAMES = { ingress: 'flyte.test', database: 'db.flyte.test', storage: 'minio.flyte.test', nowhere: 'nowhere.flyte.test' };
const NXDOMAIN = 'missing.test';

function dnsmasqBin(): string {
  for (const p of ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq']) if (existsSync(p)) return p;
  throw new Error('dnsmasq not found: run test/infra/install-deps.sh (installs dnsmasq-base)');
}

async function answers(): Promise<boolean> {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${DNS_PORT}`]);
  const a = await r.resolve4(NAMES.ingress);
  return a.includes('127.0.0.1');
}

export async function start(ctx: InfraContext): Promise<Testbed['dns']> {
  const bin = dnsmasqBin();
  const pidFile = join(ctx.dir, 'pids', 'dnsmasq.pid');
  const running = existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && (await answers().catch(() => false))) {
    ctx.log(`dnsmasq already running on ${DNS_PORT}`);
  } else {
    if (running) throw new Error(`dnsmasq is running (pid file ${pidFile}) but does not answer: run \`npm run testbed:down\` first`);
    startDaemon(ctx, 'dnsmasq', bin, [
      '--keep-in-foreground', '--conf-file=/dev/null', `--port=${DNS_PORT}`, '--listen-address=127.0.0.1', '--bind-interfaces',
      '--no-resolv', '--no-hosts', '--no-poll', `--pid-file=${join(ctx.dir, 'dnsmasq.pid')}`, '--log-queries', '--log-facility=-',
      '--local=/test/', '--address=/flyte.test/127.0.0.1', `--address=/${NAMES.nowhere}/${NOWHERE_ADDRESS}`,
    ]);
    await waitFor(ctx, `dnsmasq on 127.0.0.1:${DNS_PORT}`, answers, 10_000, 'dnsmasq');
  }
  return { server: `127.0.0.1:${DNS_PORT}`, names: NAMES, nowhereAddress: NOWHERE_ADDRESS, nxdomain: NXDOMAIN };
}

export async function healthy(): Promise<boolean> {
  return answers().catch(() => false);
}
