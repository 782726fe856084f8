import { placeholderTokens } from '../../src/config/hygiene.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { knownVariable, malformedVariables, PLUGIN_TASKLOG_VARIABLES, resolveTemplate, TASKLOG_VARIABLES, templateVariables, type TaskLogPlugin, type TaskLogTemplate } from '../../src/flyte/observability.js';
import { rollUp, type Item } from '../kubernetes/_objects.js';

const MESSAGES = {
  wellFormed: { status: 'pass', summary: 'Every enabled task-log plugin has a link template that resolves, for a sample task, to an absolute http(s) URL using only variables Flyte knows.' },
  noPlugin: { status: 'warn', summary: 'No task-log plugin is enabled: the console shows no logs link for any task. The key to set is named.' },
  noValues: { status: 'skip', summary: 'No Helm values were given: the task-log configuration is not known.' },
  missingTemplate: { status: 'fail', summary: 'flyte-binary: a logging plugin is enabled without templateUri; the chart\'s `required` makes helm install fail.' },
  malformedVariable: { status: 'fail', summary: 'A template writes a variable Flyte knows in a spelling it does not substitute (no leading dot, `{{-`…`-}}`, unbalanced braces): it stays literally in every link; the working spelling is given.' },
  unknownVariable: { status: 'fail', summary: 'A template uses a variable Flyte does not substitute (it stays literally in every link); the variable and the ones that exist are named.' },
  helmEscapeLiteral: { status: 'fail', summary: 'flyte-binary: a template carries Helm escapes (`{{ "{{" }}`, `{{`…`}}`, copied from flyte-core docs) in a key the chart does not render with tpl, so they reach Flyte and the link literally.' },
  eatenByHelm: { status: 'fail', summary: 'flyte-core (or flyte-binary inline): the values go through Helm\'s tpl, which renders an unescaped `{{ .podName }}` as nothing; the escaped spelling is given.' },
  incomplete: { status: 'fail', summary: 'A plugin built from deprecated fields lacks one (cloudwatch region/log group, stackdriver gcp-project/logresourcename, kubernetes-url), so the link has an empty part.' },
  notAUrl: { status: 'fail', summary: 'The resolved link is not an absolute http(s) URL (relative, another scheme, or no host).' },
  placeholder: { status: 'warn', summary: 'The template still holds a placeholder (`<AWS_REGION>`, `${project}`).' },
  notPerTask: { status: 'warn', summary: 'The template has no pod/task variable: every task links to the same page.' },
  flyteDefault: { status: 'warn', summary: 'flyte-core: the logs section was removed (null), so Flyte\'s built-in default applies: a Kubernetes dashboard link to http://localhost:30082.' },
  malformed: { status: 'fail', summary: 'A task-log values key has a shape the chart or Flyte cannot read (a string where a map or list belongs).' },
} as const;
type Id = keyof typeof MESSAGES;

const KNOWN = [...TASKLOG_VARIABLES].join(', ');
const POD_VARS = new Set(['podname', 'poduid', 'containerid', 'generatedname', 'executionname', 'taskid', 'nodeid', 'rayclustername', 'rayjobid', 'subtaskparentname']);

function escaped(v: string): string {
  return `{{ "{{" }} .${v} {{ "}}" }}`;
}

function checkTemplate(p: TaskLogPlugin, tpl: TaskLogTemplate, chart: string | undefined): Item<Id>[] {
  const items: Item<Id>[] = [];
  const label = `${p.displayName} (${tpl.key})`;
  if (tpl.eatenByHelm?.length) {
    const vars = tpl.eatenByHelm.map((x) => /[.$]([A-Za-z_]\w*)/.exec(x)?.[1] ?? x);
    items.push({ status: 'fail', id: 'eatenByHelm', cause: cause.config(tpl.key),
      text: `${label}: ${tpl.eatenByHelm.join(', ')} ${tpl.eatenByHelm.length > 1 ? 'are' : 'is'} rendered by Helm's tpl (to nothing) before Flyte sees the template, so the link is "${tpl.uri}"`,
      hint: `escape the Flyte variables in \`${tpl.key}\`: ${vars.map((v) => `\`${escaped(v)}\``).join(', ')} (or \`{{\`{{ .${vars[0]} }}\`}}\`)` });
  }
  if (tpl.literalEscapes?.length) {
    items.push({ status: 'fail', id: 'helmEscapeLiteral', cause: cause.config(tpl.key),
      text: `${label}: ${tpl.literalEscapes.join(', ')} ${tpl.literalEscapes.length > 1 ? 'are Helm escapes' : 'is a Helm escape'}, but the chart copies \`${tpl.key}\` without tpl, so Flyte receives it literally and every link contains it`,
      hint: `write Flyte's variables directly in \`${tpl.key}\` (e.g. {{ .namespace }}/{{ .podName }}): only flyte-core's configmap.task_logs and flyte-binary's configuration.inline go through Helm's tpl` });
    return items;
  }
  const bad = malformedVariables(tpl.uri);
  if (bad.length) {
    items.push({ status: 'fail', id: 'malformedVariable', cause: cause.config(tpl.key),
      text: `${label}: ${bad.map((b) => `"${b.raw}" (${b.why})`).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not substituted by Flyte and ${bad.length > 1 ? 'stay' : 'stays'} literally in every link`,
      hint: `in \`${tpl.key}\` write ${bad.map((b) => `${b.fixed} instead of ${b.raw}`).join(', ')}` });
  }
  const badRaw = new Set(bad.map((b) => b.raw));
  const unknown = templateVariables(tpl.uri).filter((v) => !knownVariable(v.name));
  if (unknown.length) {
    const names = [...new Set(unknown.map((u) => u.raw))];
    const close = unknown.map((u) => TASKLOG_VARIABLES.find((k) => k.toLowerCase().replace(/_/g, '') === u.name.toLowerCase().replace(/[_-]/g, ''))).filter(Boolean);
    items.push({ status: 'fail', id: 'unknownVariable', cause: cause.config(tpl.key),
      text: `${label}: ${names.join(', ')} ${names.length > 1 ? 'are not variables' : 'is not a variable'} Flyte substitutes: ${names.length > 1 ? 'they stay' : 'it stays'} literally in every link`,
      hint: `${close.length ? `use {{ .${close[0]} }}; ` : ''}Flyte's task-log variables are ${KNOWN} (plus ${Object.keys(PLUGIN_TASKLOG_VARIABLES).join(', ')} for map, Ray and connector tasks); set \`${tpl.key}\`` });
  }
  if (tpl.builtFrom) {
    const emptyFields = tpl.builtFrom.filter((f) => !p.fields[f]?.value);
    if (emptyFields.length) {
      const keys = emptyFields.map((f) => p.fields[f]!.key);
      items.push({ status: 'fail', id: 'incomplete', cause: cause.config(keys[0]!),
        text: `${p.displayName} is enabled (${p.enabledSource}) without a template URI and without ${emptyFields.join(', ')}, so Flyte builds the link "${tpl.uri}" with ${emptyFields.length > 1 ? 'those parts' : 'that part'} empty`,
        hint: `set ${keys.map((k) => `\`${k}\``).join(' and ')}${p.kind === 'stackdriver' ? ' (your GCP project id)' : p.kind === 'cloudwatch' ? ' (the AWS region and the log group your log agent writes container logs to)' : ' (the dashboard base URL)'}, or a whole template at \`${p.enabledKey.replace(/-enabled$/, '-template-uri')}\`` });
    }
  }
  if (!tpl.builtFrom && (p.kind === 'cloudwatch' || p.kind === 'stackdriver')) {
    // A template of the console's own URL must still name where the logs are.
    const u = tpl.uri;
    const param = (name: string) => { const m = new RegExp(`[?&#;:]${name}=([^&#;]*)`).exec(u); return m ? decodeURIComponent(m[1]!.replace(/\+/g, ' ')).trim() : undefined; };
    const lacking: string[] = [];
    if (p.kind === 'cloudwatch') {
      if (/console\.aws\.amazon\.com/.test(u) && !param('region')) lacking.push('the AWS region (region=…)');
      const group = param('group') ?? /log-groups\/log-group\/([^/?#]+)/.exec(u)?.[1];
      if (/console\.aws\.amazon\.com\/cloudwatch/.test(u) && !group) lacking.push('the log group (group=… or log-groups/log-group/…)');
    } else if (/console\.cloud\.google\.com/.test(u) && !param('project')) lacking.push('the GCP project (project=…)');
    if (lacking.length) {
      items.push({ status: 'fail', id: 'incomplete', cause: cause.config(tpl.key),
        text: `${label}: the template does not name ${lacking.join(' or ')}, so the console opens ${p.kind === 'cloudwatch' ? 'CloudWatch' : 'Cloud Logging'} without the task's logs`,
        hint: `set ${lacking.join(' and ')} in \`${tpl.key}\`` });
    }
  }
  const tokens = placeholderTokens(tpl.uri);
  if (tokens.length) {
    items.push({ status: 'warn', id: 'placeholder', cause: cause.config(tpl.key), text: `${label} still holds ${tokens.join(', ')}`, hint: `replace ${tokens.join(', ')} in \`${tpl.key}\` with the real value${chart === 'flyte-core' ? ' (or the userSettings key it comes from)' : ''}` });
  }
  const sample = resolveTemplate(tpl.uri);
  let url: URL | undefined;
  try { url = new URL(sample); } catch { url = undefined; }
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    if (!items.some((i) => i.id === 'incomplete')) {
      items.push({ status: 'fail', id: 'notAUrl', cause: cause.config(tpl.key),
        text: `${label}: the link for a sample task is "${sample.slice(0, 200)}", not an absolute http(s) URL${url ? ` (scheme ${url.protocol})` : ''}: the console cannot open it`,
        hint: `set \`${tpl.key}\` to a full URL such as https://<dashboard host>/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}` });
    }
  } else if (!bad.length && !templateVariables(tpl.uri).some((v) => !badRaw.has(v.raw) && POD_VARS.has((knownVariable(v.name) ?? '').toLowerCase())) && !p.dynamic) {
    items.push({ status: 'warn', id: 'notPerTask', cause: cause.config(tpl.key),
      text: `${label}: "${tpl.uri}" has no pod or task variable ({{ .podName }}, {{ .podUID }}, {{ .containerId }}…): every task links to the same page`,
      hint: `add the pod to \`${tpl.key}\`, e.g. …{{ .namespace }}/{{ .podName }}…` });
  }
  if (!items.length) items.push({ status: 'pass', id: 'wellFormed', text: `${p.displayName}: ${sample}`, details: { template: tpl.uri, sample } });
  return items;
}

export default defineCheck({
  id: 'flyte.tasklogs.config',
  title: 'Task-log links: the enabled plugins\' URL templates resolve for a sample task',
  phases: ['preflight'],
  messages: MESSAGES,
  explain: {
    what: 'Reads the task-log plugins the values enable (flyte-binary `configuration.logging.plugins.{kubernetes,cloudwatch,stackdriver,custom}` or `configuration.inline.plugins.logs`; flyte-core `configmap.task_logs.plugins.logs`: `kubernetes-enabled`, `cloudwatch-enabled`, `stackdriver-enabled`, their `*-template-uri`, the deprecated region/log-group/project fields, and `templates[].templateUris`). Each template is rendered as Helm renders it (flyte-core\'s tpl eats unescaped `{{ .podName }}`), its variables are checked against the ones Flyte substitutes (podName, namespace, containerName, containerId, logName, podUID, hostname, nodeName, pod start/finish times, task and execution ids…), and it is resolved for a sample task into a URL that must be absolute http(s).',
    why: 'A wrong template does not fail anything at install time: users only find out when the console\'s logs link opens a broken page, a page with `{{ .pod_name }}` in it, or no link at all when no plugin is enabled.',
    fix: 'Enable a plugin and give it a full template, e.g. flyte-binary `configuration.logging.plugins.cloudwatch.enabled: true` with `templateUri: https://console.aws.amazon.com/cloudwatch/home?region=<region>#logEventViewer:group=<group>;stream=var.log.containers.{{ .podName }}_{{ .namespace }}_{{ .containerName }}-{{ .containerId }}.log`; in flyte-core escape each variable as `{{ "{{" }} .podName {{ "}}" }}`.',
  },
  async run(ctx) {
    const t = ctx.target;
    const tl = t.observability?.taskLogs;
    if (!tl) return { status: 'skip', messageId: 'noValues', message: 'no Helm values given: the task-log configuration is not known' };
    const items: Item<Id>[] = [];
    for (const m of tl.malformed) items.push({ status: 'fail', id: 'malformed', cause: cause.config(m.split(':')[0]!), text: m, hint: `fix \`${m.split(':')[0]}\` (see the chart's values.yaml for its shape)` });
    if (!tl.plugins.length) {
      const provider = t.storage?.provider;
      const suggestion = t.chart === 'flyte-core'
        ? provider === 'gcs' ? '`configmap.task_logs.plugins.logs.stackdriver-enabled: true` with `stackdriver-template-uri`' : provider === 's3' ? '`configmap.task_logs.plugins.logs.cloudwatch-enabled: true` with `cloudwatch-template-uri`' : '`configmap.task_logs.plugins.logs.kubernetes-enabled: true` with `kubernetes-template-uri` (or `templates: [{displayName, templateUris}]`)'
        : provider === 'gcs' ? '`configuration.logging.plugins.stackdriver.enabled: true` with `templateUri`' : provider === 's3' ? '`configuration.logging.plugins.cloudwatch.enabled: true` with `templateUri`' : '`configuration.logging.plugins.kubernetes.enabled: true` with `templateUri` (or `custom: [{displayName, templateUris}]`)';
      items.push({ status: 'warn', id: 'noPlugin', cause: cause.config(tl.key), text: `no task-log plugin is enabled under ${tl.key}: the console shows no logs link for any task`, hint: `set ${suggestion}` });
      return rollUp(items, { what: 'the task-log links', details: { key: tl.key } });
    }
    for (const p of tl.plugins) {
      if (p.missingTemplateKey) {
        items.push({ status: 'fail', id: 'missingTemplate', cause: cause.config(p.missingTemplateKey), text: `${p.displayName}: ${p.enabledKey} is true (${p.enabledSource}) but ${p.missingTemplateKey} is empty: helm install fails with "Template URI required for ${p.kind === 'kubernetes' ? 'Kubernetes' : p.kind === 'cloudwatch' ? 'CloudWatch' : 'stackdriver'} logging plugin"`,
          hint: `set \`${p.missingTemplateKey}\` (e.g. ${p.kind === 'cloudwatch' ? 'https://console.aws.amazon.com/cloudwatch/home?region=<region>#logEventViewer:group=<group>;stream=var.log.containers.{{ .podName }}_{{ .namespace }}_{{ .containerName }}-{{ .containerId }}.log' : p.kind === 'stackdriver' ? 'https://console.cloud.google.com/logs/query;query=resource.labels.pod_name%3D%22{{ .podName }}%22?project=<project>' : 'https://<dashboard>/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}'}) or \`${p.enabledKey}: false\`` });
        continue;
      }
      if (!p.templates.length) {
        items.push({ status: 'fail', id: 'notAUrl', cause: cause.config(p.enabledKey), text: `${p.displayName} (${p.enabledKey}) has no templateUris: it adds no link`, hint: `add \`templateUris: [<URL template>]\` to \`${p.enabledKey}\`` });
        continue;
      }
      if (p.kind === 'kubernetes' && /^Flyte's built-in default/.test(p.templates[0]!.source)) {
        items.push({ status: 'warn', id: 'flyteDefault', cause: cause.config(tl.key), text: `${tl.key} is null, so Flyte's built-in default applies: a Kubernetes dashboard link to ${p.templates[0]!.uri}, which only a browser on the sandbox machine can open`, hint: `set \`${tl.key}.kubernetes-enabled: false\` or a real \`${tl.key}.kubernetes-template-uri\`` });
        continue;
      }
      for (const tpl of p.templates) items.push(...checkTemplate(p, tpl, t.chart));
    }
    return rollUp(items, { what: 'the task-log links', details: { key: tl.key, plugins: tl.plugins.map((p) => p.displayName) } });
  },
});
