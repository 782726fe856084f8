// Fixes phrased for where a value really comes from (pure logic over a target's provenance).
import { describe, expect, it } from 'vitest';
import { fixSetting, overrideNote, parseSource, setting } from '../../src/flyte/settings.js';
import { makeTarget } from '../harness/target.js';

describe('fix provenance', () => {
  const t = makeTarget({
    client: { insecure: true, endpoint: 'dns:///flyte.example.com', configPath: '/home/u/.flyte/config.yaml' },
    databases: [{ role: 'flyteadmin', host: 'db.example', port: 5432, dbname: 'flyte', user: 'flyte', valuesKey: 'configuration.database' }],
    provenance: {
      'client.insecure': 'env FLYTE_PLATFORM_INSECURE',
      'client.endpoint': '/home/u/.flyte/config.yaml: admin.endpoint',
      'databases[0].port': '--set: configuration.database.port',
      'databases[0].host': 'values.yaml: configuration.database.host (via .Values.userSettings.dbHost from values.yaml)',
    },
  });

  it('reads every provenance shape', () => {
    expect(parseSource('env FLYTE_PLATFORM_URL')).toEqual({ origin: 'env', envVar: 'FLYTE_PLATFORM_URL' });
    expect(parseSource('--endpoint')).toEqual({ origin: 'flag', flag: '--endpoint' });
    expect(parseSource('--set: configuration.database.port')).toEqual({ origin: 'file', file: '--set', key: 'configuration.database.port' });
    expect(parseSource('values.yaml: configuration.database.host (via x)')).toEqual({ origin: 'file', file: 'values.yaml', key: 'configuration.database.host' });
    expect(parseSource('chart default')).toEqual({ origin: 'chart-default' });
    expect(parseSource(undefined)).toEqual({ origin: 'unset' });
    expect(parseSource('derived: not admin.insecure (/home/u/.flyte/config.yaml: admin.insecure)')).toEqual({ origin: 'derived' });
  });

  it('never asks to set what is already set', () => {
    expect(fixSetting(t, 'client.insecure', 'admin.insecure', true)).toBeUndefined();
    expect(fixSetting(t, 'databases[0].host', 'configuration.database.host', 'db.example')).toBeUndefined();
  });

  it('names the env var that overrides the file, the --set key, the file', () => {
    expect(fixSetting(t, 'client.insecure', 'admin.insecure', false)).toBe('set FLYTE_PLATFORM_INSECURE=false in the environment (it overrides admin.insecure in /home/u/.flyte/config.yaml), or unset it and set admin.insecure: false');
    expect(fixSetting(t, 'databases[0].port', 'configuration.database.port', 5433)).toBe('set configuration.database.port: 5433 (given with --set)');
    expect(fixSetting(t, 'client.endpoint', 'admin.endpoint', 'dns:///other.example.com')).toBe('set admin.endpoint: "dns:///other.example.com" in /home/u/.flyte/config.yaml');
    expect(fixSetting(t, 'client.caCertFilePath', 'admin.caCertFilePath', '/ca.pem')).toBe('set admin.caCertFilePath: /ca.pem');
    expect(overrideNote(t, 'client.insecure')).toContain('FLYTE_PLATFORM_INSECURE');
    expect(setting(t, 'databases[0].host')).toMatchObject({ value: 'db.example', origin: 'file', key: 'configuration.database.host' });
  });
});
