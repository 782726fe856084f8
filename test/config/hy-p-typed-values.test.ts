// Typed values as Helm reads them: a key the chart tests with `{{ if }}` decides what is installed,
// and a Go template reads any non-empty string as true. `ingress.create: "false"` (quoted) renders the
// Ingress, `--set ingress.create=no` too (helm's --set types only true/false/null/whole numbers); an
// empty string or null there is false even where the chart's default is true. The target follows
// Helm, and values.inputs.keys names the key, what Helm does, and the unquoted fix.
// Also: several YAML documents in one input (`---`), as Go's yaml.v2 (helm, client-go, flytectl) reads them.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadTarget, type TargetInput } from '../../src/config/load.js';
import { runCheck } from '../harness/run-check.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hy-p-typed-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const write = (text: string): string => { const f = `v${n++}.yaml`; writeFileSync(join(dir, f), text); return f; };
const load = (o: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...o });
const BIN = 'configuration:\n  database:\n    host: db.example.internal\n';
const CORE = 'db:\n  admin:\n    database:\n      host: db.example.internal\nstorage:\n  type: s3\n  bucketName: b\n';
function refusal(f: () => unknown): string {
  try { f(); } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    return e.message;
  }
  throw new Error('expected a UserError, but it loaded');
}

describe('a quoted false word at a key the chart tests with `if` is true to Helm', () => {
  it('flyte-binary ingress.create: "false": the Ingress is rendered, so it is checked; the warn names key, file, effect and the unquoted fix', async () => {
    const f = write(`${BIN}ingress:\n  create: "false"\n  host: flyte.example.internal\n`);
    const t = load({ values: [f] });
    expect(t.ingress?.enabled).toBe(true); // was false: the Ingress Helm creates went unchecked
    expect(t.provenance['ingress.enabled']).toBe(`${f}: ingress.create`);
    const { result } = await runCheck('values.inputs.keys', t);
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('helmBoolean');
    expect(result.message).toContain(`ingress.create: "false" (${f}) is a quoted string, and the chart's \`if\` reads any non-empty string as true: the chart creates the Ingress`);
    expect(result.hint).toBe(`write create: false without quotes at ingress.create in ${f}`);
    expect(result.cause).toBe('config:ingress.create');
  });

  it.each([['"no"'], ['"off"'], ["'False'"], ['"0"']])('flyte-binary configuration.auth.enabled: %s turns auth on', (w) => {
    const t = load({ values: [write(`configuration:\n  database:\n    host: db.example.internal\n  auth:\n    enabled: ${w}\n`)] });
    expect(t.auth.enabled).toBe(true);
    expect(t.helmBooleans?.map((h) => [h.key, h.helm])).toEqual([['configuration.auth.enabled', true]]);
  });

  it('the YAML 1.1 booleans unquoted (no, off) and "true" stay what they look, with no warning', () => {
    const t = load({ values: [write(`${BIN}ingress:\n  create: no\n  separateGrpcIngress: off\n`)] });
    expect([t.ingress?.enabled, t.ingress?.separateGrpcIngress]).toEqual([false, false]);
    expect(t.helmBooleans).toBeUndefined();
    const q = load({ values: [write(`${BIN}ingress:\n  create: "true"\n`)] });
    expect(q.ingress?.enabled).toBe(true);
    expect(q.helmBooleans).toBeUndefined();
  });

  it('--set ingress.create=no is a string to helm: the Ingress is rendered; the fix is --set ingress.create=false', async () => {
    const t = load({ values: [write(BIN)], set: ['ingress.create=no'] });
    expect(t.ingress?.enabled).toBe(true);
    const { result } = await runCheck('values.inputs.keys', t);
    expect(result.message).toContain('ingress.create: "no" (--set) is a string (helm\'s --set types only true, false, null and whole numbers)');
    expect(result.hint).toBe('--set ingress.create=false (helm\'s --set types only true and false)');
    expect(load({ values: [write(BIN)], set: ['ingress.create=false'] }).ingress?.enabled).toBe(false);
  });

  it('flyte-core: common.ingress.enabled: "false", flyteadmin.enabled: "false" deploy what they look to turn off', () => {
    const t = load({ values: [write(`${CORE}common:\n  ingress:\n    enabled: "false"\n    tls:\n      enabled: "false"\nflyteadmin:\n  enabled: "false"\n`)], chart: 'flyte-core' });
    expect(t.ingress?.enabled).toBe(true);
    expect(t.ingress?.tls).toBe(true);
    expect(t.databases.map((d) => d.valuesKey)).toContain('db.admin.database'); // flyteadmin is deployed, so its database is checked
    expect(t.components?.find((c) => c.name === 'flyteadmin')?.enabled).toBe(true);
    expect(t.helmBooleans?.map((h) => h.key).sort()).toEqual(['common.ingress.enabled', 'common.ingress.tls.enabled', 'flyteadmin.enabled']);
  });

  it('keys the chart pastes into Flyte\'s config (disableSSL) keep the ordinary reading: "false" is false there', () => {
    const t = load({ values: [write('configuration:\n  database:\n    host: db.example.internal\n  storage:\n    provider: s3\n    providerConfig:\n      s3:\n        disableSSL: "false"\n        endpoint: https://s3.example.internal\n')] });
    expect(t.storage?.disableSSL).toBe(false);
    expect(t.helmBooleans).toBeUndefined();
  });

  it('a word that is no boolean at a gate key is still bad input', () => {
    expect(refusal(() => load({ values: [write(`${BIN}ingress:\n  create: "yes please"\n`)] }))).toMatch(/: ingress\.create: expected a boolean \(true or false\), got "yes please"$/);
  });
});

describe('an empty string or null at a gate key whose chart default is true is false to Helm', () => {
  it('flyte-binary ingress.separateGrpcIngress: "" puts the gRPC paths on the HTTP Ingress (not the default separate one)', async () => {
    const f = write(`${BIN}ingress:\n  create: true\n  separateGrpcIngress: ""\n  host: flyte.example.internal\n`);
    const t = load({ values: [f] });
    expect(t.ingress?.separateGrpcIngress).toBe(false); // was the chart default, true
    const { result } = await runCheck('values.inputs.keys', t);
    expect(result.messageId).toBe('helmBoolean');
    expect(result.message).toContain(`ingress.separateGrpcIngress: "" (${f}) is an empty string, which the chart's \`if\` reads as false, not as the chart's default (true)`);
    expect(result.hint).toContain(`or remove it to keep the chart's default (true)`);
  });

  it('flyte-core flyteadmin.enabled: null (a key with nothing after it) removes the key: flyteadmin is not deployed', () => {
    const t = load({ values: [write(`${CORE}flyteadmin:\n  enabled:\n`)], chart: 'flyte-core' });
    expect(t.components?.find((c) => c.name === 'flyteadmin')?.enabled).toBe(false);
    expect(t.databases.map((d) => d.valuesKey)).not.toContain('db.admin.database');
    expect(t.helmBooleans).toEqual([expect.objectContaining({ key: 'flyteadmin.enabled', written: 'null', helm: false, chartDefault: true })]);
  });

  it('"" at a gate key whose default is false changes nothing and says nothing', () => {
    const t = load({ values: [write(`${BIN}ingress:\n  create: ""\n`)] });
    expect(t.ingress?.enabled).toBe(false);
    expect(t.helmBooleans).toBeUndefined();
  });
});

describe('several YAML documents in one input, as helm, kubectl and flytectl read them (the first only)', () => {
  it('a trailing `---` (or one followed by comments only) is the one document before it, not invalid YAML', () => {
    for (const tail of ['---\n', '---\n# nothing here\n', '---\n---\n']) {
      const t = load({ values: [write(`${BIN}${tail}`)] });
      expect(t.databases[0]!.host).toBe('db.example.internal');
    }
  });

  it('content after `---` would be ignored by helm: refused at the separator, naming why and the fix, no library advice', () => {
    const f = write(`${BIN}---\ningress:\n  create: true\n`);
    const m = refusal(() => load({ values: [f] }));
    expect(m).toBe(`${f}:4:1: invalid YAML: a second YAML document (after a \`---\` separator): helm, kubectl and flytectl read only the first document and ignore the rest without a word; merge them into one document, or (Helm values) pass the second as its own -f file`);
    expect(m).not.toMatch(/parseAllDocuments/);
  });

  it('an empty first document before the content would give helm nothing', () => {
    const f = write(`---\n---\n${BIN}`);
    expect(refusal(() => load({ values: [f] }))).toMatch(new RegExp(`^${f.replace('.', '\\.')}:2:1: invalid YAML: the content is a YAML document after a \`---\` separator, and the first document is empty`));
  });

  it('the same for a kubeconfig and a flytectl config', () => {
    const kc = write('apiVersion: v1\nkind: Config\nclusters: []\n---\napiVersion: v1\nkind: Config\n');
    expect(refusal(() => load({ kubeconfig: kc }))).toMatch(/:4:1: invalid YAML: a second YAML document/);
    const fc = write('admin:\n  endpoint: dns:///flyte.example.internal\n---\n');
    expect(load({ flytectlConfig: fc }).client.endpoint).toBe('dns:///flyte.example.internal');
  });

  it('a duplicate key before a trailing `---` keeps its line and column', () => {
    const f = write('configuration:\n  database:\n    host: a\n    host: b\n---\n');
    expect(refusal(() => load({ values: [f] }))).toBe(`${f}:4:5: invalid YAML: Map keys must be unique ("host" appears twice)`);
  });
});
