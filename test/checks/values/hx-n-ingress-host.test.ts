// ingress.host.valid on values files: several names in one ingress.host (a rule has one host) get the
// first name as the exact fix in the file that sets it; a host with no name to suggest names its file.
// Before, both hints were "set ingress.host to the host name alone" with no file and no value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { runCheck } from '../../harness/run-check.js';

const ID = 'ingress.host.valid';
const tmp = mkdtempSync(join(tmpdir(), 'hx-n-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BASE = 'configuration:\n  database:\n    host: db.internal\n  storage:\n    metadataContainer: my-meta\n    userDataContainer: my-user\n';
const run = async (name: string, ingress: string) => {
  const file = join(tmp, name);
  writeFileSync(file, `${BASE}ingress:\n  create: true\n${ingress}`);
  const t = loadTarget({ values: [file], set: [], env: {}, cwd: tmp, home: '/nonexistent-home' });
  return { file, r: (await runCheck(ID, t)).result };
};

describe(`${ID}: values files`, () => {
  it('two names separated by a space or a comma: the one-host rule, and the first name as the fix in its file', async () => {
    for (const [n, h] of [['space.yaml', 'flyte.mycorp.net flyte2.mycorp.net'], ['comma.yaml', 'flyte.mycorp.net,flyte2.mycorp.net']] as const) {
      const { file, r } = await run(n, `  host: "${h}"\n`);
      expect(r, h).toMatchObject({ status: 'fail', messageId: 'invalidHost' });
      expect(r.message).toContain(`the Ingress host "${h}" (${file}: ingress.host) holds 2 names (an Ingress rule has one host)`);
      expect(r.hint).toBe(`set ingress.host: flyte.mycorp.net in ${file} (one name: the chart renders one Ingress rule from it; the others need DNS records pointing at the same ingress and their own Ingress)`);
    }
  });

  it('a host with no name to suggest: the fix names the file', async () => {
    const { file, r } = await run('bad.yaml', '  host: "fly te"\n');
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalidHost' });
    expect(r.hint).toBe(`set ingress.host to the host name alone, in lowercase (letters, digits, '-' and '.') in ${file}`);
  });

  it('a templated host the chart tpl-renders, a trailing dot, capitals: judged on the value rendered', async () => {
    const ok = await run('tpl.yaml', '  host: "{{ .Values.myhost }}"\nmyhost: flyte.mycorp.net\n');
    expect(ok.r).toMatchObject({ status: 'pass', messageId: 'valid' });
    const dot = await run('dot.yaml', '  host: Flyte.mycorp.net.\n');
    expect(dot.r).toMatchObject({ status: 'fail', messageId: 'invalidHost' });
    expect(dot.r.hint).toBe(`set ingress.host: flyte.mycorp.net in ${dot.file} (the DNS record and the TLS certificate name the same host)`);
  });
});
