// One TLS secure context per trust set, shared by every connection of the run. Node builds a new
// SecureContext for each tls.connect given `ca`, parsing every certificate again: with the system
// roots plus an env bundle (SSL_CERT_FILE etc., ~280 certificates) that is 40-90 ms of CPU per
// connection. Contexts hold only the trust and the protocol settings (no per-connection state:
// servername, ALPN and verification stay per connection), so sharing one is what a long-lived
// client does. Certificates repeated across the bundles (the system roots are usually in the env
// bundle too) are added once.
import { createHash } from 'node:crypto';
import type { SecureContext, SecureVersion } from 'node:tls';

export type CaInput = string | Buffer | readonly (string | Buffer)[];

export interface ContextOptions {
  ca?: CaInput | undefined;
  ciphers?: string;
  minVersion?: SecureVersion;
}

const byKey = new Map<string, SecureContext>();
const keyOfArray = new WeakMap<object, string>();

/** The PEM blocks of the inputs, each once (normalised line ends and surrounding space). */
export function distinctCerts(ca: CaInput): string[] {
  const parts = (Array.isArray(ca) ? ca : [ca]) as (string | Buffer)[];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of parts) {
    const text = typeof p === 'string' ? p : p.toString('utf8');
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
    // Not PEM (DER, or junk): passed as given; Node reports what is wrong with it.
    if (!blocks) { const k = `raw:${text}`; if (!seen.has(k)) { seen.add(k); out.push(text); } continue; }
    for (const b of blocks) {
      const norm = b.replace(/\r\n?/g, '\n').trim();
      if (!seen.has(norm)) { seen.add(norm); out.push(norm); }
    }
  }
  return out;
}

function caKey(ca: CaInput): string {
  if (typeof ca === 'object' && !Buffer.isBuffer(ca)) {
    const known = keyOfArray.get(ca);
    if (known) return known;
  }
  const h = createHash('sha256');
  for (const p of (Array.isArray(ca) ? ca : [ca]) as (string | Buffer)[]) { h.update(p); h.update('\0'); }
  const k = h.digest('hex');
  if (typeof ca === 'object' && !Buffer.isBuffer(ca)) keyOfArray.set(ca, k);
  return k;
}

/**
 * The shared context for these options, or undefined when they ask for nothing special (Node's
 * default context then applies, which it shares itself) or when Node refuses them (then pass the
 * options to the connection, which reports the error as before).
 */
export async function sharedSecureContext(o: ContextOptions): Promise<SecureContext | undefined> {
  if (o.ca === undefined && o.ciphers === undefined && o.minVersion === undefined) return undefined;
  const key = `${o.ca === undefined ? 'default' : caKey(o.ca)}|${o.ciphers ?? ''}|${o.minVersion ?? ''}`;
  let c = byKey.get(key);
  if (!c) {
    const { createSecureContext } = await import('node:tls');
    try {
      c = createSecureContext({
        ...(o.ca !== undefined ? { ca: distinctCerts(o.ca) } : {}),
        ...(o.ciphers !== undefined ? { ciphers: o.ciphers } : {}),
        ...(o.minVersion !== undefined ? { minVersion: o.minVersion } : {}),
      });
    } catch {
      // A CA Node refuses: the connection is given the options themselves and fails as it always did.
      return undefined;
    }
    byKey.set(key, c);
  }
  return c;
}
