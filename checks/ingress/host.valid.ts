import { ingressHostProblem } from '../../src/config/k8s-names.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { ingressKey } from '../../src/flyte/ingress.js';
import { fixSetting, setting, whereSet } from '../../src/flyte/settings.js';

export default defineCheck({
  id: 'ingress.host.valid',
  title: 'The Ingress host in the values is a name Kubernetes accepts',
  phases: ['preflight', 'verify'],
  needs: ['ingress'],
  messages: {
    valid: { status: 'pass', summary: 'The host is a lowercase DNS name (or `*.` and one), as the API server requires of an Ingress rule.' },
    noIngress: { status: 'skip', summary: 'The chart renders no Ingress.' },
    notFromValues: { status: 'skip', summary: 'The values set no Ingress host (the host checked elsewhere comes from the client config).' },
    invalidHost: { status: 'fail', summary: 'The API server refuses the Ingress at install: its host is a URL, has a port, is an IP address, has uppercase letters, whitespace or characters a DNS name cannot hold.' },
  },
  explain: {
    what: 'The Ingress host the values give (`ingress.host` of flyte-binary, `common.ingress.host` of flyte-core, or `spec.rules[].host` of rendered manifests), checked with the rules the API server applies to an Ingress rule\'s host: a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`, at most 253 characters) or a wildcard `*.` followed by one; not an IP address.',
    why: '`helm install` stops when the API server refuses the Ingress ("spec.rules[0].host: Invalid value: ... a lowercase RFC 1123 subdomain must consist of ..."), and nothing of the release is usable: a host written as a URL (`https://flyte.example.com`), with a port, in capitals, with an underscore, or with a line break from a YAML block scalar is refused.',
    fix: 'Write the name alone, in lowercase: `ingress.host: flyte.example.com` (flyte-binary) or `common.ingress.host` (flyte-core); leave it empty to answer every name (an IP address cannot be a rule\'s host). The DNS record and the TLS certificate must name the same host.',
  },
  async run(ctx) {
    const t = ctx.target;
    const i = t.ingress!;
    const key = `${ingressKey(t)}.host`;
    const s = setting(t, 'ingress.host');
    const fromInputs = s.origin === 'file' && /(^|\.)host$/.test(s.key ?? '');
    if (!i.host || !fromInputs) return { status: 'skip', messageId: 'notFromValues', message: `the values set no Ingress host (${key})${i.host ? `; ${i.host} comes from ${whereSet(s)}` : ''}` };
    if (!i.enabled) return { status: 'skip', messageId: 'noIngress', message: `the chart renders no Ingress (${t.chart === 'flyte-core' ? `${ingressKey(t)}.enabled` : `${ingressKey(t)}.create`} is false)` };
    const host = i.host;
    const bad = ingressHostProblem(host);
    const shown = JSON.stringify(host);
    if (!bad) return { status: 'pass', messageId: 'valid', message: `the Ingress host ${host} (${whereSet(s)}) is a name Kubernetes accepts` };
    const fix = bad.meant
      ? `${fixSetting(t, 'ingress.host', s.key ?? key, bad.meant) ?? `set ${key}: ${bad.meant}`} (the DNS record and the TLS certificate name the same host)`
      : /IP address/.test(bad.why) ? `remove ${s.key ?? key}${s.file && s.file !== '--set' ? ` from ${s.file}` : ''} (the Ingress then answers every name, the address too), or set it to a DNS name whose record points at the ingress`
        : `set ${s.key ?? key} to the host name alone, in lowercase (letters, digits, '-' and '.')`;
    return {
      status: 'fail', messageId: 'invalidHost', cause: cause.config(key),
      message: `the Ingress host ${shown} (${whereSet(s)}) ${bad.why}: the API server refuses the Ingress and \`helm install\` stops ("spec.rules[0].host: Invalid value: ${shown}: ${bad.apiServer}")`,
      hint: fix,
      details: { host, source: whereSet(s), ...(bad.meant ? { meant: bad.meant } : {}) },
    };
  },
});
