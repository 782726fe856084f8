import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../reports/json.js';
import type { Report } from '../../reports/schema.js';
import { fixtureResults, makeEmptyReport, makeReport } from './fixtures/report.js';

const schema = JSON.parse(readFileSync(new URL('../../reports/report.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

function parsed(report: Report): Record<string, unknown> {
  return JSON.parse(renderJson(report)) as Record<string, unknown>;
}

function errorsOf(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('json writer', () => {
  it('is the report, pretty-printed with a trailing newline', () => {
    const report = makeReport();
    const text = renderJson(report);
    expect(text).toBe(JSON.stringify(report, null, 2) + '\n');
    expect(JSON.parse(text)).toEqual(report);
  });

  it('validates against reports/report.schema.json (fixture with every status, and an empty run)', () => {
    expect(errorsOf(parsed(makeReport()))).toEqual([]);
    expect(errorsOf(parsed(makeEmptyReport()))).toEqual([]);
    expect(errorsOf(parsed(makeReport(fixtureResults, { interrupted: 'Ctrl-C', residue: ['s3://b/flyte-doctor/x/probe'] })))).toEqual([]);
  });

  it.each<[string, (doc: Record<string, any>) => void, string]>([
    ['unknown status', (d) => { d.results[0].status = 'ok'; }, '/results/0/status'],
    ['missing summary count', (d) => { delete d.summary.error; }, '/summary'],
    ['extra top-level key', (d) => { d.hostname = 'box'; }, ''],
    ['extra result key', (d) => { d.results[1].stack = 'Error: x'; }, '/results/1'],
    ['wrong schemaVersion', (d) => { d.schemaVersion = 1; }, '/schemaVersion'],
    ['rootCause other than true', (d) => { (d.results as Record<string, unknown>[])[0]!.rootCause = false; }, '/results/0/rootCause'],
    ['bad command', (d) => { d.command = 'install'; }, '/command'],
    ['bad timestamp', (d) => { d.startedAt = 'yesterday'; }, '/startedAt'],
    ['negative duration', (d) => { d.results[0].durationMs = -1; }, '/results/0/durationMs'],
    ['id not in its area', (d) => { d.results[0].id = 'storage.api.reachable'; }, '/results/0/id'],
    ['unknown area', (d) => { d.results[0].area = 'network'; }, '/results/0/area'],
    ['missing target.fields', (d) => { delete d.target.fields; }, '/target'],
    ['target field without source', (d) => { delete d.target.fields[0].source; }, '/target/fields/0'],
    ['pass with blockedBy', (d) => { d.results[0].blockedBy = 'kubernetes.api.reachable'; }, '/results/0/blockedBy'],
    ['instanceLabel without instance', (d) => { delete d.results[2].instance; }, '/results/2'],
    ['details not an object', (d) => { d.results[0].details = ['x']; }, '/results/0/details'],
    ['non-string version', (d) => { d.versions.postgres = 16; }, '/versions/postgres'],
  ])('rejects a broken document: %s', (_name, breakIt, path) => {
    const doc = parsed(makeReport());
    breakIt(doc);
    const errors = errorsOf(doc);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.startsWith(`${path} `))).toBe(true);
  });
});
