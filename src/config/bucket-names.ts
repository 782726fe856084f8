// The object stores' own rules for bucket (container) names, so that a name the store would refuse
// or read as something else is named before any request, with the name meant. S3: 3-63 lowercase
// letters, digits, '.' and '-', a letter or digit at both ends, not an IP address, no '..' (AWS's
// bucket naming rules, which MinIO applies too; AWS's reserved prefixes and suffixes such as `xn--`
// are left to AWS, as S3-compatible stores accept them). GCS: also '_', up to 222 with dots. Azure Blob
// containers: lowercase letters, digits and single '-', 3-63.
import { isIP } from 'node:net';
import { headerUnsafe, surroundingWhitespace } from './chars.js';
import { nameInside } from './host-values.js';

export type BucketStore = 's3' | 'gcs' | 'azure';

export interface BucketNameProblem { why: string; meant?: string; /** What a name may hold, for a fix. */ allowed: string }

const RULES: Record<BucketStore, { re: RegExp; max: number; what: string }> = {
  s3: { re: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, max: 63, what: "lowercase letters, digits, '.' and '-'" },
  gcs: { re: /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/, max: 222, what: "lowercase letters, digits, '-', '_' and '.'" },
  azure: { re: /^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/, max: 63, what: "lowercase letters, digits and single '-'" },
};

/** Why `name` is not a bucket name `store` accepts, or undefined. */
export function bucketNameProblem(store: BucketStore, name: string): BucketNameProblem | undefined {
  const r = RULES[store];
  const ok = (n: string) => n.length >= 3 && n.length <= r.max && r.re.test(n) && !n.includes('..') && !(store !== 'azure' && isIP(n))
    && !(store === 'gcs' && n.split('.').some((l) => l.length > 63));
  if (ok(name)) return undefined;
  const meant = meantBucket(name);
  return { why: describe(store, name, r), allowed: `3 to ${r.max} ${r.what}`, ...(meant && meant !== name && ok(meant) ? { meant } : {}) };
}

/** The bucket a person meant: the name inside the value (`s3://b/prefix`, `b/prefix`; nameInside), lowercased. */
function meantBucket(v: string): string | undefined {
  return nameInside(v).toLowerCase() || undefined;
}

function describe(store: BucketStore, v: string, r: { max: number; what: string }): string {
  const ws = surroundingWhitespace(v);
  if (ws) return ws;
  const ctl = headerUnsafe(v);
  if (ctl) return ctl;
  const url = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (url) return `is a URL (${url[1]}://); the key takes the bucket name alone`;
  if (v.includes('/')) return `has a '/': the key takes the bucket name alone, without a path or prefix`;
  if (v.length < 3) return `is ${v.length} character${v.length === 1 ? '' : 's'} long; a bucket name has 3 to ${r.max}`;
  if (v.length > r.max) return `is ${v.length} characters long; a bucket name has 3 to ${r.max}`;
  const upper = /[A-Z]/.exec(v);
  if (upper) return `contains an uppercase letter ("${upper[0]}"); bucket names are lowercase`;
  const bad = new RegExp(`[^${store === 'gcs' ? 'a-z0-9._-' : store === 'azure' ? 'a-z0-9-' : 'a-z0-9.-'}]`).exec(v);
  if (bad) return `contains "${bad[0]}"; a ${store === 'azure' ? 'container' : 'bucket'} name has ${r.what} only`;
  if (store !== 'azure' && isIP(v)) return 'is an IP address';
  if (store === 'azure' && v.includes('--')) return "has two '-' in a row";
  return `does not start and end with a letter or digit, or has '..'; a name has ${r.what}`;
}
