// Every real values file in ../shared/fixtures, resolved: the databases, buckets, endpoints, auth,
// ingress, identities, components, what the run checks (scope) and the findings of the hygiene checks
// (placeholders, unknown keys), compared with a reviewed golden file. UPDATE_GOLDEN=1 rewrites it
// (review the diff: every line is a claim about a real deployer's file).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../checks/index.js';
import { loadTarget } from '../../src/config/load.js';
import type { Target } from '../../src/config/target.js';
import { plan } from '../../src/engine/plan.js';
import { runChecks } from '../../src/engine/run.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';

const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const GOLDEN = join(import.meta.dirname, '__golden__', 'fixture-targets.json');
const short = (s: string | undefined) => s?.split(SHARED_FIXTURES + '/').join('').split('flyte-values/').join('');

function summary(t: Target, findings: Record<string, string>) {
  return {
    chart: t.chart ?? null, chartName: t.chartName ?? null,
    databases: t.databases.map((d) => `${d.role} ${d.user}@${d.host}:${d.port}/${d.dbname} sslmode=${d.sslmode ?? d.sslmodeInvalid ?? '-'} password=${d.passwordSource ?? '-'}`),
    storage: t.storage ? `${t.storage.provider}(${t.storage.rawType}) metadata=${t.storage.metadataBucket ?? '-'} userdata=${t.storage.userDataBucket ?? '-'} endpoint=${t.storage.endpoint ?? '-'} region=${t.storage.region ?? '-'} auth=${t.storage.authType}${t.storage.flyteIdentity ? ` flyte-identity=${t.storage.flyteIdentity}` : ""}` : null,
    ingress: t.ingress ? `enabled=${t.ingress.enabled} host=${t.ingress.host ?? '-'} class=${t.ingress.className ?? '-'} tls=${t.ingress.tls} separateGrpc=${t.ingress.separateGrpcIngress} http=${t.ingress.httpUrl ?? '-'} grpc=${t.ingress.grpcAddress ?? '-'}` : null,
    auth: `enabled=${t.auth.enabled} issuer=${t.auth.oidcIssuer ?? '-'} server=${t.auth.authServerType ?? '-'}`,
    identities: (t.identities ?? []).map((i) => `${i.component}: ${i.kind} ${i.value}`),
    components: (t.components ?? []).map((c) => `${c.name}=${c.enabled ? 'on' : 'off'}`),
    scope: (t.scope ?? []).map(short),
    placeholders: (t.placeholders ?? []).map((p) => `${p.kind} ${p.key} = ${p.shown}${p.fields.length ? ` -> ${p.fields.join(', ')}` : ''}`),
    unknownKeys: (t.unknownKeys ?? []).map((u) => `${u.key}${u.suggestion ? ` -> ${u.suggestion}` : ''}`),
    findings,
  };
}

async function findings(t: Target): Promise<Record<string, string>> {
  const ids = builtinChecks.filter((c) => c.area === 'values').map((c) => c.id);
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: ids }, t), timeoutMs: 2000, concurrency: 4 });
  return Object.fromEntries(r.results.filter((x) => ids.includes(x.id)).map((x) => [x.id, `${x.status} ${x.messageId ?? ''}`]));
}

describe('every values fixture resolves to the reviewed target', () => {
  const files = readdirSync(VALUES).filter((f) => !f.includes('-v2main__')).sort();
  const golden: Record<string, unknown> = existsSync(GOLDEN) ? JSON.parse(readFileSync(GOLDEN, 'utf8')) : {};
  const actual: Record<string, unknown> = {};
  for (const f of files) {
    it(f, async () => {
      const t = loadTarget({ values: [join(VALUES, f)], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home' });
      actual[f] = summary(t, await findings(t));
      if (process.env['UPDATE_GOLDEN']) return;
      expect(actual[f], `${f} (UPDATE_GOLDEN=1 rewrites ${basename(GOLDEN)}; review the diff)`).toEqual(golden[f]);
    });
  }
  it('the golden file covers exactly the fixtures', () => {
    if (process.env['UPDATE_GOLDEN']) { writeFileSync(GOLDEN, JSON.stringify(actual, null, 2) + '\n'); return; }
    expect(Object.keys(golden).sort()).toEqual(files);
  });
});
