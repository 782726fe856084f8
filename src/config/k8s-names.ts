// Kubernetes' own rules for the names the charts write into objects, as the API server applies
// them (k8s.io/apimachinery/pkg/util/validation and the networking validation of Ingress), so that a
// value the API server would refuse at `helm install` is named before it, with the value meant.
import { isIP } from 'node:net';
import { headerUnsafe, surroundingWhitespace } from './chars.js';
import { nameInside } from './host-values.js';

/** IsDNS1123Subdomain: lowercase alphanumerics, '-' and '.', alphanumeric at both ends, at most 253. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SUBDOMAIN = 253;

export interface NameProblem {
  /** What is wrong, in the API server's terms ("contains an uppercase letter"...). */
  why: string;
  /** The API server's own message, as `helm install` prints it. */
  apiServer: string;
  /** The value meant, when it can be told (the URL's host, the name without its port, lowercased...). */
  meant?: string;
}

/**
 * Why the API server refuses `host` as an Ingress rule's host (spec.rules[].host), or undefined
 * when it accepts it: a DNS-1123 subdomain, or `*.` and one (a wildcard), never an IP address and
 * never with a port or a scheme.
 */
export function ingressHostProblem(host: string): NameProblem | undefined {
  if (isIP(host) || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)))) {
    return { why: 'is an IP address; an Ingress rule matches a DNS name (leave the host empty to match every name, including the address)', apiServer: 'must be a DNS name, not an IP address' };
  }
  const p = subdomainProblem(host);
  if (p?.meant && isIP(p.meant)) delete p.meant; // an address is not a rule's host either
  return p;
}

/**
 * Why the API server refuses `host` in an Ingress's spec.tls[].hosts: the same DNS-1123 subdomain
 * (or `*.` and one) as a rule's host, but an IPv4 address passes (it is one by the letter of the
 * rule) and an empty entry does not.
 */
export function ingressTlsHostProblem(host: string): NameProblem | undefined {
  return subdomainProblem(host);
}

function subdomainProblem(host: string): NameProblem | undefined {
  if (host.startsWith('*.') ? valid(host.slice(2)) : valid(host)) return undefined;
  const meant = meantHost(host);
  const wildcard = host.includes('*');
  const apiServer = host.length > MAX_SUBDOMAIN ? `must be no more than ${MAX_SUBDOMAIN} characters` : wildcard
    ? "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  return { why: describe(host), apiServer, ...(meant && meant !== host && subdomainProblem(meant) === undefined ? { meant } : {}) };
}

function valid(name: string): boolean {
  return name.length <= MAX_SUBDOMAIN && DNS1123_SUBDOMAIN.test(name);
}

/** The host a person meant by a value that is not one: the name inside it (nameInside), lowercased, `_` as `-`, no trailing dot. */
function meantHost(v: string): string | undefined {
  return nameInside(v).toLowerCase().replace(/_/g, '-').replace(/\.$/, '') || undefined;
}

/** What makes `v` not a DNS-1123 subdomain, first problem first. */
function describe(v: string): string {
  if (v === '') return 'is empty';
  const ws = surroundingWhitespace(v);
  if (ws) return ws;
  const ctl = headerUnsafe(v);
  if (ctl) return ctl;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'is a URL; the host is the name alone, without scheme, port or path';
  if (/:\d*$/.test(v) && !v.includes('/')) return 'has a port; the host is the name alone (the Ingress controller listens on 80 and 443)';
  if (v.includes('/')) return 'has a path; the host is the name alone';
  if (v.length > MAX_SUBDOMAIN) return `is ${v.length} characters long, over the ${MAX_SUBDOMAIN} of a DNS name`;
  const upper = /[A-Z]/.exec(v);
  if (upper) return `contains an uppercase letter ("${upper[0]}"); Kubernetes takes host names in lowercase only`;
  if (/\s/.test(v)) return 'contains whitespace';
  const bad = /[^a-z0-9.*-]/.exec(v);
  if (bad) return `contains "${bad[0]}", which a DNS name cannot hold${bad[0] === '_' ? ' (an underscore is allowed in some DNS records, not in a host name)' : ''}`;
  if (v.includes('*')) return "has a '*' other than as its whole first label ('*.example.com')";
  if (v.endsWith('.')) return 'ends with a dot (a fully qualified name); the Ingress host is written without it';
  if (/(^|\.)[-.]|-(\.|$)|\.\./.test(v) || v.startsWith('.')) return "has a label that starts or ends with '-' or '.', or is empty";
  return 'is not a DNS-1123 subdomain';
}
