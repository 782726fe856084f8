import { ingressHostProblem, ingressTlsHostProblem, type NameProblem } from '../../src/config/k8s-names.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { ingressKey } from '../../src/flyte/ingress.js';
import { fixSetting, setting, whereSet } from '../../src/flyte/settings.js';

export default defineCheck({
  id: 'ingress.host.valid',
  title: 'The Ingress host and TLS sections in the values are ones Kubernetes accepts',
  phases: ['preflight', 'verify'],
  needs: ['ingress'],
  messages: {
    valid: { status: 'pass', summary: 'The host is a lowercase DNS name (or `*.` and one), as the API server requires of an Ingress rule.' },
    noIngress: { status: 'skip', summary: 'The chart renders no Ingress.' },
    notFromValues: { status: 'skip', summary: 'The values set no Ingress host (the host checked elsewhere comes from the client config).' },
    invalidHost: { status: 'fail', summary: 'The API server refuses the Ingress at install: its host is a URL, has a port, is an IP address, has uppercase letters, whitespace or characters a DNS name cannot hold.' },
    invalidTlsHost: { status: 'fail', summary: 'The API server refuses the Ingress at install: a host of a TLS section (`ingress.tls[].hosts`) is empty, a URL, has a port, uppercase letters or characters a DNS name cannot hold.' },
  },
  explain: {
    what: 'The Ingress host the values give (`ingress.host` of flyte-binary, `common.ingress.host` of flyte-core, or `spec.rules[].host` of rendered manifests), checked with the rules the API server applies to an Ingress rule\'s host: a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`, at most 253 characters) or a wildcard `*.` followed by one; not an IP address. The TLS sections as written (flyte-binary `ingress.tls`, `httpTls`, `grpcTls`, or a render\'s `spec.tls`) by the same rules: each of `hosts` a DNS-1123 subdomain or wildcard (an IPv4 address passes there, an empty entry does not). (A `secretName` Kubernetes refuses is kubernetes.objects.secrets\' finding.)',
    why: '`helm install` stops when the API server refuses the Ingress ("spec.rules[0].host: Invalid value: ... a lowercase RFC 1123 subdomain must consist of ..."), and nothing of the release is usable: a host written as a URL (`https://flyte.example.com`), with a port, in capitals, with an underscore, or with a line break from a YAML block scalar is refused.',
    fix: 'Write the name alone, in lowercase: `ingress.host: flyte.example.com` (flyte-binary) or `common.ingress.host` (flyte-core); leave it empty to answer every name (an IP address cannot be a rule\'s host). The DNS record and the TLS certificate must name the same host.',
  },
  async run(ctx) {
    const t = ctx.target;
    const i = t.ingress!;
    const key = `${ingressKey(t)}.host`;
    const s = setting(t, 'ingress.host');
    const fromInputs = !!i.host && s.origin === 'file' && /(^|\.)host$/.test(s.key ?? '');
    const entries = i.tlsEntries ?? [];
    if (!fromInputs && !entries.length) return { status: 'skip', messageId: 'notFromValues', message: `the values set no Ingress host (${key})${i.host ? `; ${i.host} comes from ${whereSet(s)}` : ''}` };
    if (!i.enabled) return { status: 'skip', messageId: 'noIngress', message: `the chart renders no Ingress (${t.chart === 'flyte-core' ? `${ingressKey(t)}.enabled` : `${ingressKey(t)}.create`} is false)` };
    const tlsBad = tlsProblems(entries);
    const host = i.host;
    const bad = fromInputs ? ingressHostProblem(host!) : undefined;
    if (!bad && tlsBad.length) return tlsResult(tlsBad);
    if (!bad) {
      const tlsNote = entries.length ? `; its ${entries.length} TLS section${entries.length === 1 ? '' : 's'} (${[...new Set(entries.map((e) => `${e.origin}: ${e.key}`))].join(', ')}) too` : '';
      return { status: 'pass', messageId: 'valid', message: fromInputs ? `the Ingress host ${host} (${whereSet(s)}) is a name Kubernetes accepts${tlsNote}` : `the TLS sections of the Ingress (${[...new Set(entries.map((e) => `${e.origin}: ${e.key}`))].join(', ')}) are ones Kubernetes accepts` };
    }
    const shown = JSON.stringify(host);
    const inFile = s.file ? (s.file === '--set' ? ' (given with --set)' : ` in ${s.file}`) : '';
    // Several names in one value (`a.example.org b.example.org`, `a,b`): an Ingress rule has one host.
    const names = host!.trim().split(/[\s,;]+/).filter(Boolean);
    const several = !bad.meant && names.length > 1 && names.every((n) => n.includes('.') && !ingressHostProblem(n));
    const fix = several
      ? `set ${s.key ?? key}: ${names[0]}${inFile} (one name: the chart renders one Ingress rule from it; the others need DNS records pointing at the same ingress and their own Ingress)`
      : bad.meant
      ? `${fixSetting(t, 'ingress.host', s.key ?? key, bad.meant) ?? `set ${key}: ${bad.meant}`} (the DNS record and the TLS certificate name the same host)`
      : /IP address/.test(bad.why) ? `remove ${s.key ?? key}${s.file && s.file !== '--set' ? ` from ${s.file}` : ''} (the Ingress then answers every name, the address too), or set it to a DNS name whose record points at the ingress`
        : `set ${s.key ?? key} to the host name alone, in lowercase (letters, digits, '-' and '.')${inFile}`;
    const also = tlsBad.length ? `; and ${tlsBad.map((p) => `${p.where} ${JSON.stringify(p.value)} ${p.bad.why}`).join('; ')}` : '';
    return {
      status: 'fail', messageId: 'invalidHost', cause: cause.config(key),
      message: `the Ingress host ${shown} (${whereSet(s)}) ${several ? `holds ${names.length} names (an Ingress rule has one host)` : bad.why}: the API server refuses the Ingress and \`helm install\` stops ("spec.rules[0].host: Invalid value: ${shown}: ${bad.apiServer}")${also}`,
      hint: tlsBad.length ? `${fix}; ${tlsBad.map(tlsFix).join('; ')}` : fix,
      details: { host: host!, source: whereSet(s), ...(bad.meant ? { meant: bad.meant } : {}), ...(tlsBad.length ? { tls: tlsBad.map((p) => ({ where: p.where, value: p.value, why: p.bad.why })) } : {}) },
    };
  },
});

type Entry = NonNullable<NonNullable<import('../../src/config/target.js').Target['ingress']>['tlsEntries']>[number];
interface TlsProblem { entry: Entry; where: string; spec: string; value: string; bad: NameProblem }

/** Every host and secretName of the TLS sections the API server refuses, in order. */
function tlsProblems(entries: readonly Entry[]): TlsProblem[] {
  const out: TlsProblem[] = [];
  for (const e of entries) {
    e.hosts.forEach((h, j) => {
      const bad = ingressTlsHostProblem(h);
      if (bad) out.push({ entry: e, where: `${e.key}.hosts[${j}] (${e.origin})`, spec: `${e.spec}.hosts[${j}]`, value: h, bad });
    });
  }
  return out;
}

function tlsFix(p: TlsProblem): string {
  const at = `${p.entry.key}.hosts[${p.entry.hosts.indexOf(p.value)}]`;
  const file = p.entry.origin === '--set' ? ' (given with --set)' : ` in ${p.entry.origin}`;
  if (p.bad.meant) return `set ${at}: ${p.bad.meant}${file}`;
  if (p.value.trim() === '') return `remove the empty entry ${at}${file}, or write the Ingress host there`;
  return `set ${at} to the host name alone, in lowercase${file}`;
}

function tlsResult(list: TlsProblem[]) {
  const first = list[0]!;
  return {
    status: 'fail' as const, messageId: 'invalidTlsHost' as const, cause: cause.config(first.entry.key),
    message: `${list.map((p) => `${p.where} ${JSON.stringify(p.value)} ${p.bad.why}`).join('; ')}: the API server refuses the Ingress and \`helm install\` stops ("${first.spec}: Invalid value: ${JSON.stringify(first.value)}: ${first.bad.apiServer}")`,
    hint: list.map(tlsFix).join('; '),
    details: { tls: list.map((p) => ({ where: p.where, value: p.value, why: p.bad.why, ...(p.bad.meant ? { meant: p.bad.meant } : {}) })) },
  };
}
