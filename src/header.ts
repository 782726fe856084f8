// The "what was checked" header: every target field with its value and where it came from.
import { isIdentifierKeyName, isSecretKeyName, maskIdentifier } from './config/secret.js';
import type { Target } from './config/target.js';
import type { TargetField } from '../reports/schema.js';

const SKIP = new Set(['provenance', 'secrets', 'inputs', 'chart', 'chartSource', 'projects', 'domains', 'scope', 'placeholders', 'unknownKeys', 'components', 'identities', 'chartName', 'identifiers', 'valuesFiles', 'configWarnings', 'deployedInputs', 'references']);
/** Internal fields (which values key a hint names) are not part of what was checked. */
const INTERNAL = /(^|\.)(valuesKey|signedUrlKey)$|^endpoints\.[A-Za-z]+\.source$/;

/**
 * Every field with its value as shown to people: a Secret (or any field named like a credential)
 * as ***, an access key id as first4…last4 (maskIdentifier), never whole.
 */
export function targetFields(t: Target): TargetField[] {
  const out: TargetField[] = [];
  const ids = new Set(t.identifiers ?? []);
  const walk = (v: unknown, path: string) => {
    if (v === undefined || v === null || v === '') return;
    if (typeof v === 'object' && typeof (v as { reveal?: unknown }).reveal === 'function') {
      out.push({ field: path, value: '***', source: t.provenance[path] ?? 'default' });
      return;
    }
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${path}[${i}]`)); return; }
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.length) return;
      for (const [k, x] of entries) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    if (INTERNAL.test(path)) return;
    const name = path.split('.').pop()!.replace(/\[\d+\]$/, '');
    const text = String(v);
    const value = isSecretKeyName(name) && typeof v === 'string' ? '***'
      : ids.has(text) || (isIdentifierKeyName(name) && typeof v === 'string') ? maskIdentifier(text) : text;
    out.push({ field: path, value, source: t.provenance[path] ?? 'default' });
  };
  for (const [k, v] of Object.entries(t)) if (!SKIP.has(k)) walk(v, k);
  // One line per component and per workload identity (the structure is in --dry-run -o json).
  for (const c of t.components ?? []) out.push({ field: `components.${c.name}`, value: c.enabled ? 'deployed' : c.note ? `not deployed: ${c.note}` : 'not deployed', source: c.source });
  for (const i of t.identities ?? []) out.push({ field: `identities.${i.component}`, value: `${i.value} (${i.kind})`, source: i.source });
  return out;
}
