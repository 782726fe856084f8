import { PgProbeError } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { dbSettingKey } from '../../src/flyte/database.js';
import { carryNotFromHere, databaseFor, dbInstances, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, sessionFor } from './_support.js';

/** Community end-of-life dates by major version (postgresql.org/support/versioning). */
export const PG_EOL: Record<number, string> = {
  10: '2022-11-10', 11: '2023-11-09', 12: '2024-11-21', 13: '2025-11-13', 14: '2026-11-12',
  15: '2027-11-11', 16: '2028-11-09', 17: '2029-11-08', 18: '2030-11-14',
};
/** Flyte's floor. */
export const PG_MIN_MAJOR = 12;

const MESSAGES = {
  supported: { status: 'pass', summary: 'The server runs a supported PostgreSQL version.' },
  pastEol: { status: 'warn', summary: 'The PostgreSQL major version reached community end of life.' },
  tooOld: { status: 'fail', summary: 'The server is older than PostgreSQL 12, Flyte\'s minimum.' },
  notPostgres: { status: 'warn', summary: 'The server speaks PostgreSQL\'s protocol but is another system (CockroachDB, YugabyteDB, Redshift...): Flyte supports PostgreSQL.' },
  unreadableVersion: { status: 'fail', summary: 'The server\'s version could not be read (server_version_num is not a number).' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.version',
  title: 'The PostgreSQL server version is supported',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Reads `server_version_num` and `version()`, compares the major version with Flyte\'s floor (12) and the community end-of-life table, and notes PostgreSQL-compatible systems that are not PostgreSQL.',
    why: 'Older servers break Flyte\'s migrations (e.g. relation "description_entities" does not exist on some versions); a server past end of life gets no security fixes.',
    fix: 'Upgrade the PostgreSQL server (managed databases: a major-version upgrade of the instance).',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.auth']);
    if (carried) return carried;
    const s = await sessionFor(ctx, db);
    if (!s.client) return { status: 'skip', messageId: 'noSession', message: `not checked: no session on ${db.host}:${db.port} (${s.error?.message ?? s.fallbackError?.message ?? 'the dependencies say why'})`, details: { host: db.host } };
    let row: { num: string | null; version: string | null } | undefined;
    try {
      [row] = await query<{ num: string | null; version: string | null }>(ctx, db, s.client, 'SELECT current_setting(\'server_version_num\') AS num, version() AS version');
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading the server version');
      throw e;
    }
    const num = Number(row?.num);
    const version = String(row?.version ?? '');
    if (!Number.isFinite(num) || num <= 0) {
      return { status: 'fail', messageId: 'unreadableVersion', message: `the server on ${db.host}:${db.port} answered server_version_num = ${JSON.stringify(row?.num ?? null)} (version() = ${JSON.stringify(version.slice(0, 120))}): not PostgreSQL's answer`, hint: `point ${dbSettingKey(ctx.target, db, 'host')} at a PostgreSQL ${PG_MIN_MAJOR}+ server`, details: { serverVersionNum: row?.num ?? null, version } };
    }
    const major = num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
    const text = version.split(' on ')[0]!;
    const details = { serverVersionNum: num, major, version };
    const other = /cockroach|yugabyte|-YB-|redshift|crate|materialize|risingwave|questdb|greenplum/i.exec(version)?.[0];
    if (major < PG_MIN_MAJOR) {
      return { status: 'fail', messageId: 'tooOld', message: `${text} is older than PostgreSQL ${PG_MIN_MAJOR}, Flyte's minimum`, hint: `upgrade the server at ${db.host} to PostgreSQL ${PG_MIN_MAJOR} or newer (15+ recommended)`, details };
    }
    if (other) {
      return { status: 'warn', messageId: 'notPostgres', message: `${text}: the server is ${other}, which speaks PostgreSQL's protocol but is not PostgreSQL; Flyte's migrations are written for PostgreSQL`, hint: `run Flyte on PostgreSQL ${PG_MIN_MAJOR}+ (point ${dbSettingKey(ctx.target, db, 'host')} at a PostgreSQL server), or test the migrations on ${other} first`, details };
    }
    const eol = PG_EOL[major];
    const today = new Date(ctx.clock.now()).toISOString().slice(0, 10);
    if (eol && today >= eol) {
      return { status: 'warn', messageId: 'pastEol', message: `${text}: PostgreSQL ${major} reached community end of life on ${eol}`, hint: `plan a major-version upgrade of ${db.host} (PostgreSQL ${major + 2} or newer)`, details: { ...details, eol } };
    }
    return { status: 'pass', messageId: 'supported', message: `${text} (supported${eol ? ` until ${eol}` : ''})`, details: { ...details, eol: eol ?? null } };
  },
});
