// Targets pointing at the test bed's PostgreSQL, for the database.postgres.* check tests.
import { Secret } from '../../../src/config/secret.js';
import type { DatabaseTarget, Target } from '../../../src/config/target.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

export function pgDb(over: Partial<DatabaseTarget> & { pw?: string } = {}): DatabaseTarget {
  const tb = getTestbed().postgres;
  const { pw, ...rest } = over;
  return {
    role: 'flyteadmin', host: tb.host, port: tb.port, dbname: tb.databases.flyteadmin, user: tb.owner.user,
    password: new Secret(pw ?? tb.owner.password), passwordSource: 'configuration.database.password',
    sslmode: 'verify-full', sslrootcert: getTestbed().caCert, valuesKey: 'configuration.database', maxOpenConnections: 10,
    ...rest,
  };
}

export function pgTarget(...dbs: DatabaseTarget[]): Target {
  return makeTarget({ databases: dbs.length ? dbs : [pgDb()], dnsServer: getTestbed().dns.server });
}
