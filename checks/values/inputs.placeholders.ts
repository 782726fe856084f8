import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { Placeholder, PlaceholderKind } from '../../src/config/target.js';
import type { Json } from '../../src/engine/types.js';

const ORDER: readonly PlaceholderKind[] = ['marker', 'variable', 'template', 'empty', 'pod-loopback', 'chart-placeholder', 'example-domain', 'render-template'];
const ID = {
  marker: 'placeholders', variable: 'placeholders', template: 'unresolvedTemplate', empty: 'emptyValue',
  'pod-loopback': 'podLoopback', 'chart-placeholder': 'chartPlaceholder', 'example-domain': 'exampleDomain',
  'render-template': 'renderedAtInstall',
} as const;

const FIELD_LABEL: [RegExp, string][] = [
  [/^databases\[\d+\]\./, 'database probes'], [/^storage\./, 'object-store probes'],
  [/^(client|ingress)\./, 'endpoint, TLS and ingress probes'], [/^auth\./, 'auth probes'],
];

function line(p: Placeholder): string {
  const where = p.origin && p.origin !== p.key ? ` (${p.origin})` : '';
  return `${p.key} = ${p.shown}${where}${p.why ? `: ${p.why}` : ''}`;
}

function fixFor(kinds: Set<PlaceholderKind>, list: Placeholder[]): string {
  const parts: string[] = [];
  const keys = [...new Set(list.filter((p) => p.kind !== 'pod-loopback').map((p) => `${p.key}${p.origin && !p.origin.startsWith('chart default') && p.origin !== p.key ? ` in ${p.origin}` : ''}`))];
  if (keys.length) parts.push(`replace each with the real value (${keys.slice(0, 6).join('; ')}${keys.length > 6 ? `; and ${keys.length - 6} more` : ''})`);
  if (kinds.has('variable')) parts.push('a file with ${var} placeholders is a Terraform templatefile()/envsubst input: render it first (terraform apply, or envsubst < values.tpl.yaml > values.yaml) and pass the rendered file');
  if (kinds.has('empty')) parts.push('a key written as "" is not unset: set it to the value meant, or delete the line to keep the chart\'s default (null, `~`, also removes it)');
  if (kinds.has('template')) parts.push('an unresolved {{ .Values.x }} reads a key no values file sets: define that key (e.g. userSettings.*) or replace the template with the value');
  if (kinds.has('pod-loopback')) {
    const db = list.find((p) => p.kind === 'pod-loopback')!;
    parts.push(`set ${db.key} to the PostgreSQL host (e.g. the RDS/Cloud SQL endpoint); if a sidecar in the Flyte pod really serves the database on its loopback, check it from inside the cluster (--in-cluster), or port-forward it here and give the host with --set (a --set value is taken as meant)`);
  }
  parts.push('or run with --skip values.inputs.placeholders to probe the values as they are');
  return parts.join('; ');
}

export default defineCheck({
  id: 'values.inputs.placeholders',
  title: 'No placeholders, unresolved templates or chart example values in the inputs',
  phases: ['preflight', 'verify'],
  messages: {
    none: { status: 'pass', summary: 'No placeholder, unresolved template, chart example value or documentation domain in the values, the client config or the flags.' },
    placeholders: { status: 'fail', summary: 'Placeholder markers (`<DB_PASSWORD>`, `${bucket_name}`, `CHANGEME`) left in the inputs: Helm installs them verbatim. The probes that would use them are blocked.' },
    emptyValue: { status: 'fail', summary: 'A key Flyte needs is written as an empty string (`username: ""`): that replaces the chart\'s default, the chart renders the key empty and Flyte falls back to its built-in default (database `localhost`, user and database `postgres`, port 30001). The probes that would use it are blocked.' },
    unresolvedTemplate: { status: 'fail', summary: 'A `{{ .Values.x }}` template reads a key no values file sets: the chart renders it empty or verbatim.' },
    podLoopback: { status: 'fail', summary: "The database host is 127.0.0.1:5432 from a values file or the chart default: the Flyte pod's own loopback (only right with a database sidecar), not a database this machine can judge; probing it would test this machine's own PostgreSQL." },
    chartPlaceholder: { status: 'fail', summary: "The chart's example values (`my-organization-flyte-container`, `my-s3-bucket` on AWS/GCS, `my-organization-gcp-project`, flyte-core's unset `postgres` host, the example OAuth client id): somebody else's bucket, or nothing." },
    exampleDomain: { status: 'fail', summary: 'A documentation domain (`*.example.com`, `.example`) as a host: no deployment answers there.' },
    renderedAtInstall: { status: 'warn', summary: 'A value Helm computes at install time (`{{ printf "%s-postgresql" .Release.Name }}`, `{{ include … }}`): right for the chart, but not known before rendering, so its probes are skipped; check the render with --manifests.' },
  },
  explain: {
    what: 'Lists every value in the Helm values, the flytectl/flytekit config, `--set` and the flags that was left for the deployer to fill in: `<MARKER>`-style placeholders of the example files, `${var}` of Terraform templates, `{{ .Values.x }}` templates that read a key nothing sets, the chart\'s own example defaults and documentation domains. Each is named with its key, file and value; secrets are never shown (only their placeholder).',
    why: 'Helm installs placeholders verbatim: flyteadmin then fails far from the cause (`dial tcp: lookup <RDS_HOST_DNS>: no such host`, AccessDenied on `my-organization-flyte-container`, which is somebody else\'s bucket). Probing them would report confusing network errors, or worse pass on the wrong thing (127.0.0.1:5432 is this machine, not the Flyte pod), so every probe that would use one is blocked by this check.',
    fix: 'Replace each value at the key named. Render Terraform templatefile() inputs before using them. `--skip values.inputs.placeholders` probes the values as they are (e.g. a database forwarded to this machine\'s 127.0.0.1:5432).',
  },
  async run(ctx) {
    const list = ctx.target.placeholders ?? [];
    if (!list.length) return { status: 'pass', messageId: 'none', message: 'no placeholders in the inputs' };
    const kinds = new Set(list.map((p) => p.kind));
    const main = ORDER.find((k) => kinds.has(k))!;
    if (main === 'render-template') {
      return {
        status: 'warn', messageId: 'renderedAtInstall',
        message: `${list.length} value${list.length === 1 ? '' : 's'} Helm renders at install time, so not known here: ${list.slice(0, 6).map(line).join('; ')} — their probes are skipped`,
        hint: `check the rendered install instead: \`helm template <release> <chart> -f <values> | flyte-doctor preflight --manifests -\`, or give the rendered value with --set ${list[0]!.key}=<value>`,
        details: { placeholders: list.map((p) => ({ key: p.key, origin: p.origin, value: p.shown, kind: p.kind, usedBy: p.fields })) as Json },
      };
    }
    const used = [...new Set(list.flatMap((p) => p.fields.map((f) => FIELD_LABEL.find(([re]) => re.test(f))?.[1]).filter((x): x is string => !!x)))];
    const shown = list.slice(0, 8).map(line);
    return {
      status: 'fail', messageId: ID[main],
      message: `${list.length} ${list.every((p) => p.kind === 'empty') ? 'key' : 'placeholder'}${list.length === 1 ? '' : 's'} ${list.every((p) => p.kind === 'empty') ? 'set empty ' : ''}in the inputs: ${shown.join('; ')}${list.length > 8 ? `; and ${list.length - 8} more (details.placeholders)` : ''}${used.length ? ` — blocked: ${used.join(', ')}` : ''}`,
      hint: fixFor(kinds, list),
      cause: cause.config('placeholders'),
      details: {
        placeholders: list.map((p) => ({ key: p.key, origin: p.origin, value: p.shown, kind: p.kind, tokens: p.tokens, usedBy: p.fields, ...(p.why ? { why: p.why } : {}) })) as Json,
      },
    };
  },
});
