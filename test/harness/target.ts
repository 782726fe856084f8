// Builds a Target for check tests without going through values files (the loader has its own tests).
import type { Target } from '../../src/config/target.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function makeTarget(over: DeepPartial<Target> = {}): Target {
  const base: Target = {
    chart: 'flyte-binary',
    chartSource: 'test',
    inputs: [],
    kubernetes: { namespace: 'flyte', release: 'flyte-backend' },
    databases: [],
    client: { insecure: false, insecureSkipVerify: false },
    auth: { enabled: false, valuesKey: 'configuration.auth' },
    projects: ['flytesnacks'],
    domains: ['development', 'staging', 'production'],
    provenance: {},
    secrets: [],
  };
  const t = { ...base, ...over } as Target;
  t.kubernetes = { ...base.kubernetes, ...(over.kubernetes ?? {}) } as Target['kubernetes'];
  t.client = { ...base.client, ...(over.client ?? {}) } as Target['client'];
  t.auth = { ...base.auth, ...(over.auth ?? {}) } as Target['auth'];
  // Every Secret in the target is known to the redactor, as the real loader does.
  const secrets = new Set(t.secrets);
  const walk = (v: unknown): void => {
    if (v && typeof v === 'object') {
      if (typeof (v as { reveal?: unknown }).reveal === 'function') secrets.add((v as { reveal(): string }).reveal());
      else for (const x of Object.values(v)) walk(x);
    }
  };
  walk(t);
  t.secrets = [...secrets];
  return t;
}
