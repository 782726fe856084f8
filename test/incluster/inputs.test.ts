// What --in-cluster ships to the pod (podInputs): the files the inputs name by absolute path, with the
// paths rewritten to where the pod mounts them, and --wait bounded by the in-cluster timeout. Pure:
// real files in a temp dir, no cluster (the end-to-end proof is real-pod.test.ts's sslrootcert case).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podInputs, MAX_SHIPPED_FILE } from '../../src/incluster/launcher.js';
import { makeTarget } from '../harness/target.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-ic-inputs-'));
const file = (name: string, text: string | Buffer) => { const p = join(dir, name); writeFileSync(p, text); return p; };
const ca = file('ca.crt', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
const pw = file('pgpass', 's3cret-db-password\n');
const big = file('big.pem', 'x'.repeat(MAX_SHIPPED_FILE + 1));
const bin = file('blob.der', Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00]));

const run = (values: string, o: { set?: string[]; waitMs?: number; timeoutMs?: number; flytectl?: string; secrets?: string[] } = {}) => {
  const v = file(`values-${Math.random().toString(36).slice(2)}.yaml`, values);
  const fc = o.flytectl ? file(`fc-${Math.random().toString(36).slice(2)}.yaml`, o.flytectl) : undefined;
  return podInputs({
    input: { values: [v], set: o.set ?? [], ...(fc ? { flytectlConfig: fc } : {}) },
    target: makeTarget({ secrets: o.secrets ?? [] }), only: [], skip: [], checkTimeoutMs: 10_000, env: {}, cwd: dir,
    ...(o.waitMs !== undefined ? { waitMs: o.waitMs } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  }, 'flyte');
};
const valuesText = (r: ReturnType<typeof run>) => Object.entries({ ...r.config, ...r.secret }).find(([k]) => k.startsWith('values-'))![1];

describe('podInputs: files the inputs point at are shipped', () => {
  it('a CA in libpq options (sslrootcert=) goes to the ConfigMap and the option points at its mount', () => {
    const r = run(`configuration:\n  database:\n    host: db\n    options: sslmode=verify-full sslrootcert=${ca}\n`);
    const inPod = r.files![ca]!;
    expect(inPod).toMatch(/^\/inputs\/config\/file-0-ca\.crt$/);
    expect(r.config[inPod.split('/').pop()!]).toContain('BEGIN CERTIFICATE');
    expect(valuesText(r)).toContain(`sslrootcert=${inPod}`);
    expect(valuesText(r)).not.toContain(ca);
  });

  it('a private key or a file holding a run secret goes to the Secret; the same path twice is shipped once', () => {
    const r = run(`a:\n  keyFile: ${key}\n  again: "${key}"\n  passwordPath: ${pw}\n`, { secrets: ['s3cret-db-password'] });
    expect(r.files![key]).toMatch(/^\/inputs\/secret\/file-\d-client\.key$/);
    expect(r.files![pw]).toMatch(/^\/inputs\/secret\/file-\d-pgpass$/);
    expect(Object.keys(r.files!)).toHaveLength(2);
    expect(Object.values(r.config).join('\n')).not.toContain('PRIVATE KEY');
    expect(Object.values(r.config).join('\n')).not.toContain('s3cret-db-password');
    const v = valuesText(r);
    expect(v.split(r.files![key]!).length - 1).toBe(2);
  });

  it('flytectl\'s caCertFilePath and a --set value are rewritten too', () => {
    const r = run('a: 1\n', { flytectl: `admin:\n  endpoint: dns:///flyte.example.com\n  caCertFilePath: ${ca}\n`, set: [`configuration.database.options=sslrootcert=${ca}`] });
    const fc = Object.entries(r.config).find(([k]) => k.startsWith('flytectl-'))![1];
    expect(fc).toContain(`caCertFilePath: ${r.files![ca]}`);
    expect(r.secret['set-0']).toBe(`configuration.database.options=sslrootcert=${r.files![ca]}`);
  });

  it('left as they are: paths that do not exist here, pod paths, volume mount paths, directories, big and binary files, URLs', () => {
    const text = [
      'a:', '  tokenFile: /var/run/secrets/eks.amazonaws.com/serviceaccount/token', '  missing: /nonexistent/ca.pem',
      `  extraVolumeMounts:\n    - mountPath: ${ca}\n      subPath: ca.crt`, `  dir: ${dir}`, `  big: ${big}`, `  der: ${bin}`,
      '  endpoint: http://127.0.0.1:19000/bucket/x', '  proc: /proc/self/status', '',
    ].join('\n');
    const r = run(text);
    expect(r.files).toEqual({});
    expect(valuesText(r)).toBe(text);
  });
});

describe('podInputs: --wait', () => {
  const waitArg = (r: ReturnType<typeof run>) => { const i = r.args.indexOf('--wait'); return i < 0 ? undefined : r.args[i + 1]; };
  it('passed to the pod when it fits the in-cluster timeout', () => {
    expect(waitArg(run('a: 1\n', { waitMs: 120_000, timeoutMs: 600_000 }))).toBe('120000ms');
  });
  it('cut to the timeout less the time the pod needs to start and report (a third, at most 60 s)', () => {
    expect(waitArg(run('a: 1\n', { waitMs: 300_000, timeoutMs: 300_000 }))).toBe('240000ms');
    expect(waitArg(run('a: 1\n', { waitMs: 300_000, timeoutMs: 90_000 }))).toBe('60000ms');
  });
  it('absent without --wait', () => {
    expect(waitArg(run('a: 1\n', { timeoutMs: 300_000 }))).toBeUndefined();
  });
});
