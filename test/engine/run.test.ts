import { describe, expect, it } from 'vitest';
import { defineCheck } from '../../src/engine/define.js';
import { plan, validateRegistry } from '../../src/engine/plan.js';
import { runChecks, summarize } from '../../src/engine/run.js';
import type { Check, CheckContext, CheckSpec, Outcome } from '../../src/engine/types.js';
import { exitCodeFor } from '../../src/engine/exit-code.js';
import { UserError } from '../../src/errors.js';
import { makeTarget } from '../harness/target.js';

const explain = { what: 'w', why: 'y', fix: 'f' };
function fake(id: string, run: (ctx: CheckContext) => Promise<Outcome> | Outcome, extra: Partial<CheckSpec> = {}): Check {
  return defineCheck({ id, title: id, phases: ['preflight', 'verify'], explain, run: async (ctx) => run(ctx), ...extra });
}
const pass = (message = 'ok'): Outcome => ({ status: 'pass', message });
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => { const t = setTimeout(r, ms); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }); });

async function run(checks: Check[], o: { only?: string[]; skip?: string[]; timeoutMs?: number; concurrency?: number; signal?: AbortSignal; deadlineMs?: number; target?: ReturnType<typeof makeTarget> } = {}) {
  validateRegistry(checks);
  const target = o.target ?? makeTarget();
  return runChecks({
    target, plan: plan(checks, 'preflight', { only: o.only ?? [], skip: o.skip ?? [] }, target),
    timeoutMs: o.timeoutMs ?? 2000, concurrency: o.concurrency ?? 4,
    ...(o.signal ? { signal: o.signal } : {}), ...(o.deadlineMs ? { deadlineAt: Date.now() + o.deadlineMs } : {}),
  });
}

describe('engine', () => {
  it('derives area and docsUrl from the id and rejects malformed ids', () => {
    const c = fake('storage.s3.put', () => pass());
    expect(c.area).toBe('storage');
    expect(c.docsUrl).toBe('docs/checks.md#storages3put'); // relative to the package root, which ships docs/checks.md
    expect(() => fake('nope', () => pass())).toThrow(/area\.subject\.aspect/);
    expect(() => fake('weird.thing.x', () => pass())).toThrow(/unknown area/);
  });

  it('rejects duplicate ids, unknown dependencies and cycles', () => {
    expect(() => validateRegistry([fake('dns.a.b', () => pass()), fake('dns.a.b', () => pass())])).toThrow(/duplicate/);
    expect(() => validateRegistry([fake('dns.a.b', () => pass(), { dependsOn: ['dns.x.y'] })])).toThrow(/unknown check dns\.x\.y/);
    expect(() => validateRegistry([fake('dns.a.b', () => pass(), { dependsOn: ['dns.c.d'] }), fake('dns.c.d', () => pass(), { dependsOn: ['dns.a.b'] })])).toThrow(/cycle/);
    expect(() => validateRegistry([fake('dns.a.b', () => pass(), { dependsOn: ['dns.c.d'] }), fake('dns.c.d', () => pass(), { phases: ['verify'] })])).toThrow(/runs in preflight but its dependency/);
  });

  it('skips dependents of a failed check with blockedBy, transitively', async () => {
    const r = await run([
      fake('database.pg.connect', () => ({ status: 'fail', message: 'refused', hint: 'fix host' })),
      fake('database.pg.auth', () => pass(), { dependsOn: ['database.pg.connect'] }),
      fake('database.pg.version', () => pass(), { dependsOn: ['database.pg.auth'] }),
      fake('dns.admin.resolve', () => pass()),
    ]);
    const by = Object.fromEntries(r.results.map((x) => [x.id, x]));
    expect(by['database.pg.auth']).toMatchObject({ status: 'skip', blockedBy: 'database.pg.connect', message: 'blocked by database.pg.connect (fail)' });
    expect(by['database.pg.version']).toMatchObject({ status: 'skip', blockedBy: 'database.pg.auth' });
    expect(by['dns.admin.resolve']!.status).toBe('pass');
  });

  it('a warn does not block dependents', async () => {
    const r = await run([fake('tls.a.b', () => ({ status: 'warn', message: 'soon', hint: 'renew' })), fake('tls.a.c', () => pass(), { dependsOn: ['tls.a.b'] })]);
    expect(r.results.map((x) => x.status)).toEqual(['warn', 'pass']);
  });

  it('turns a hanging check into error "timed out after Ns" within the timeout, and runs the rest', async () => {
    const t0 = Date.now();
    const r = await run([fake('ingress.a.hang', () => new Promise<Outcome>(() => {})), fake('ingress.a.ok', () => pass())], { timeoutMs: 300 });
    const hang = r.results.find((x) => x.id === 'ingress.a.hang')!;
    expect(hang).toMatchObject({ status: 'error', messageId: 'timeout', message: 'timed out after 0.3s' });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.results.find((x) => x.id === 'ingress.a.ok')!.status).toBe('pass');
  });

  it('a check timeout smaller than --timeout wins', async () => {
    const r = await run([fake('ingress.a.hang', () => new Promise<Outcome>(() => {}), { timeoutMs: 100 })], { timeoutMs: 5000 });
    expect(r.results[0]!.message).toBe('timed out after 0.1s');
  });

  it('a thrown error is `error` (could not check), never `fail`', async () => {
    const r = await run([fake('auth.a.b', () => { throw new Error('boom\nstack'); })]);
    expect(r.results[0]).toMatchObject({ status: 'error', messageId: 'exception', message: 'check could not run: boom' });
  });

  it('an invalid outcome is an error', async () => {
    const r = await run([fake('auth.a.b', () => ({ status: 'maybe', message: 'x' }) as unknown as Outcome)]);
    expect(r.results[0]!.status).toBe('error');
    expect(r.results[0]!.messageId).toBe('badOutcome');
  });

  it('runs independent checks in parallel, bounded by the concurrency limit', async () => {
    let active = 0, peak = 0;
    const slow = (id: string) => fake(id, async () => { active++; peak = Math.max(peak, active); await sleep(100); active--; return pass(); });
    const checks = Array.from({ length: 10 }, (_, i) => slow(`dns.p.c${i}`));
    const t0 = Date.now();
    await run(checks, { concurrency: 3 });
    expect(peak).toBe(3);
    expect(Date.now() - t0).toBeLessThan(1000); // 4 waves of 100 ms, not 10
    peak = 0;
    await run(checks, { concurrency: 10 });
    expect(peak).toBe(10);
  });

  it('orders results by area then id, whatever the finishing order', async () => {
    const r = await run([
      fake('tls.z.a', async () => pass()),
      fake('database.b.a', async () => { await sleep(50); return pass(); }),
      fake('database.a.a', async () => { await sleep(20); return pass(); }),
      fake('kubernetes.a.a', async () => { await sleep(30); return pass(); }),
    ]);
    expect(r.results.map((x) => x.id)).toEqual(['database.a.a', 'database.b.a', 'kubernetes.a.a', 'tls.z.a']);
  });

  it('runs a check per instance and matches same-key dependencies', async () => {
    const target = makeTarget({ databases: [
      { role: 'flyteadmin', host: 'a', port: 5432, dbname: 'flyteadmin', user: 'u', valuesKey: 'db.admin.database' },
      { role: 'datacatalog', host: 'b', port: 5432, dbname: 'datacatalog', user: 'u', valuesKey: 'db.datacatalog.database' },
    ] });
    const instances = (t: typeof target) => t.databases.map((d) => ({ key: d.role, label: `${d.role} ${d.host}` }));
    const r = await run([
      fake('database.pg.connect', (ctx) => (ctx.instance!.key === 'datacatalog' ? { status: 'fail', message: 'refused', hint: 'h' } : pass()), { instances }),
      fake('database.pg.auth', (ctx) => pass(`auth ${ctx.instance!.key} after ${ctx.result('database.pg.connect')!.status}`), { instances, dependsOn: ['database.pg.connect'] }),
    ], { target });
    expect(r.results.map((x) => [x.id, x.instance, x.status])).toEqual([
      ['database.pg.auth', 'datacatalog', 'skip'], ['database.pg.auth', 'flyteadmin', 'pass'],
      ['database.pg.connect', 'datacatalog', 'fail'], ['database.pg.connect', 'flyteadmin', 'pass'],
    ]);
    expect(r.results.find((x) => x.id === 'database.pg.auth' && x.instance === 'flyteadmin')!.message).toBe('auth flyteadmin after pass');
    expect(r.results.find((x) => x.id === 'database.pg.auth' && x.instance === 'datacatalog')!.blockedBy).toBe('database.pg.connect[datacatalog]');
  });

  it('skips a check whose needed target part is not configured, with the reason', async () => {
    const r = await run([fake('storage.s3.put', () => pass(), { needs: ['storage.s3'] })]);
    expect(r.results[0]).toMatchObject({ status: 'skip' });
    expect(r.results[0]!.message).toMatch(/no object store configured/);
  });

  it('--only pulls in dependencies; --skip keeps the check as skipped and blocks dependents', async () => {
    const checks = [fake('storage.s3.put', () => pass()), fake('storage.s3.get', () => pass(), { dependsOn: ['storage.s3.put'] }), fake('dns.a.b', () => pass())];
    const only = await run(checks, { only: ['storage.s3.get'] });
    expect(only.results.map((x) => x.id)).toEqual(['storage.s3.get', 'storage.s3.put']);
    const skipped = await run(checks, { skip: ['storage.s3.put'] });
    expect(skipped.results.find((x) => x.id === 'storage.s3.put')).toMatchObject({ status: 'skip', message: 'excluded by --skip storage.s3.put' });
    expect(skipped.results.find((x) => x.id === 'storage.s3.get')).toMatchObject({ status: 'skip', blockedBy: 'storage.s3.put' });
    const glob = await run(checks, { only: ['storage.*'] });
    expect(glob.results.map((x) => x.id)).toEqual(['storage.s3.get', 'storage.s3.put']);
    expect(() => plan(checks, 'preflight', { only: ['storage.s3.nope'] })).toThrow(UserError);
    expect(() => plan(checks, 'preflight', { only: ['storage.s3.nope'] })).toThrow(/--only storage\.s3\.nope: no check matches/);
  });

  it('shares one resource per key across checks and closes it at the end', async () => {
    let made = 0, closed = 0;
    const use = (id: string) => fake(id, async (ctx) => { await ctx.shared('pool', async () => { made++; return { n: made }; }, () => { closed++; }); return pass(); });
    await run([use('database.a.a'), use('database.a.b'), use('database.a.c')]);
    expect(made).toBe(1);
    expect(closed).toBe(1);
  });

  it('runs deferred cleanups after a timeout and reports a failing cleanup', async () => {
    const log: string[] = [];
    const r = await run([
      fake('storage.s3.put', async (ctx) => { ctx.defer('delete probe', async () => { log.push('deleted'); }); await new Promise(() => {}); return pass(); }, { timeoutMs: 100 }),
      fake('storage.s3.bad', async (ctx) => { ctx.defer('broken cleanup', async () => { throw new Error('AccessDenied'); }); return pass(); }),
    ]);
    expect(log).toEqual(['deleted']);
    expect(r.results.find((x) => x.id === 'storage.s3.put')!.status).toBe('error');
    expect(r.cleanupFailures).toEqual([{ label: 'broken cleanup', checkId: 'storage.s3.bad', error: 'AccessDenied' }]);
  });

  it('a cleanup starts once every check of its area has ended, while other areas still run; not before', async () => {
    const log: string[] = [];
    await run([
      fake('storage.s3.put', async (ctx) => { ctx.defer('delete probe', async () => { log.push('cleanup'); }); return pass(); }),
      fake('storage.s3.get', async () => { await sleep(100); log.push('storage.s3.get ended'); return pass(); }, { dependsOn: ['storage.s3.put'] }),
      fake('database.postgres.slow', async () => { await sleep(300); log.push('database ended'); return pass(); }),
    ]);
    expect(log).toEqual(['storage.s3.get ended', 'cleanup', 'database ended']);
  });

  it('an external abort (Ctrl-C) stops running checks, skips unstarted ones, and still runs cleanups', async () => {
    const ac = new AbortController();
    const log: string[] = [];
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const r = await run([
      fake('storage.s3.put', async (ctx) => { ctx.defer('delete probe', async () => { log.push('cleanup'); }); await sleep(10_000, ctx.signal); return pass(); }),
      fake('storage.s3.get', () => pass(), { dependsOn: ['storage.s3.put'] }),
    ], { signal: ac.signal, timeoutMs: 20_000 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.interrupted).toBe('interrupted');
    expect(r.results.find((x) => x.id === 'storage.s3.put')).toMatchObject({ status: 'error', messageId: 'aborted' });
    expect(r.results.find((x) => x.id === 'storage.s3.get')!.status).toBe('skip');
    expect(log).toEqual(['cleanup']);
  });

  it('--deadline bounds the whole run', async () => {
    const t0 = Date.now();
    const r = await run([fake('dns.a.hang', () => new Promise<Outcome>(() => {})), fake('dns.a.hang2', () => new Promise<Outcome>(() => {}))], { timeoutMs: 10_000, deadlineMs: 200 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r.interrupted).toMatch(/deadline/);
    expect(summarize(r.results).error).toBe(2);
  });

  it('exit codes follow the documented policy', () => {
    const s = (o: Partial<Record<'pass' | 'warn' | 'fail' | 'skip' | 'error', number>>) => ({ pass: 0, warn: 0, fail: 0, skip: 0, error: 0, ...o });
    expect(exitCodeFor(s({ pass: 3, skip: 1 }), 'fail')).toBe(0);
    expect(exitCodeFor(s({ warn: 1 }), 'fail')).toBe(0);
    expect(exitCodeFor(s({ warn: 1 }), 'warn')).toBe(1);
    expect(exitCodeFor(s({ fail: 1, error: 1 }), 'fail')).toBe(1);
    expect(exitCodeFor(s({ error: 1 }), 'fail')).toBe(3);
    expect(exitCodeFor(s({ pass: 1 }), 'fail', true)).toBe(130);
  });
});
