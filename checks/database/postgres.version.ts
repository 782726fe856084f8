import { dbInstances, databaseFor, pgQuery, pgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

/** Community end-of-life dates by major version (postgresql.org/support/versioning). */
export const PG_EOL: Record<number, string> = {
  10: '2022-11-10', 11: '2023-11-09', 12: '2024-11-21', 13: '2025-11-13', 14: '2026-11-12',
  15: '2027-11-11', 16: '2028-11-09', 17: '2029-11-08', 18: '2030-11-14',
};
/** Flyte's floor. */
export const PG_MIN_MAJOR = 12;

export default defineCheck({
  id: 'database.postgres.version',
  title: 'The PostgreSQL server version is supported',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  explain: {
    what: 'Reads `server_version_num` and compares the major version with Flyte\'s floor (12) and the community end-of-life table.',
    why: 'Older servers break Flyte\'s migrations (e.g. relation "description_entities" does not exist on some versions); a server past end of life gets no security fixes.',
    fix: 'Upgrade the PostgreSQL server (managed databases: a major-version upgrade of the instance).',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const s = await pgSession(ctx, db);
    if (!s.client) throw s.error ?? s.fallbackError ?? new Error('no database session');
    const [row] = await pgQuery<{ num: string; version: string }>(ctx, s.client, 'SELECT current_setting(\'server_version_num\') AS num, version() AS version');
    const num = Number(row!.num);
    const major = num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
    const text = row!.version.split(' on ')[0]!;
    const details = { serverVersionNum: num, major, version: row!.version };
    if (major < PG_MIN_MAJOR) {
      return { status: 'fail', messageId: 'tooOld', message: `${text} is older than PostgreSQL ${PG_MIN_MAJOR}, Flyte's minimum`, hint: `upgrade the server at ${db.host} to PostgreSQL ${PG_MIN_MAJOR} or newer (15+ recommended)`, details };
    }
    const eol = PG_EOL[major];
    const today = new Date(ctx.clock.now()).toISOString().slice(0, 10);
    if (eol && today >= eol) {
      return { status: 'warn', messageId: 'pastEol', message: `${text}: PostgreSQL ${major} reached community end of life on ${eol}`, hint: `plan a major-version upgrade of ${db.host} (PostgreSQL ${major + 2} or newer)`, details: { ...details, eol } };
    }
    return { status: 'pass', messageId: 'supported', message: `${text} (supported${eol ? ` until ${eol}` : ''})`, details: { ...details, eol: eol ?? null } };
  },
});
