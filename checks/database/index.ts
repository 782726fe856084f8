// Checks of area 'database', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import auth from './postgres.auth.js';
import connect from './postgres.connect.js';
import connections from './postgres.connections.js';
import database from './postgres.database.js';
import dns from './postgres.dns.js';
import migrations from './postgres.migrations.js';
import privileges from './postgres.privileges.js';
import tls from './postgres.tls.js';
import version from './postgres.version.js';

export const checks: readonly Check[] = [auth, connect, connections, database, dns, migrations, privileges, tls, version];
