// A host setting that holds more than a host: a URL or connection string (`postgres://db:5432/x`,
// `https://minio:9000`) or a `host:port`. Flyte reads the host and the port from keys of their own,
// so such a value fails name resolution with an error that does not say why. What was meant is the
// host (and port) inside it.
import { isIP } from 'node:net';

export interface HostValueParts { why: string; host: string; port?: number }

/** The host (and port) inside a host setting that holds a URL or `host:port`, or undefined. */
export function hostValueParts(v: string): HostValueParts | undefined {
  const s = v.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1];
  if (scheme) {
    const u = (() => { try { return new URL(s); } catch { return undefined; } })();
    if (!u?.hostname) return undefined;
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return { why: `is a URL (${scheme}://); the setting takes the host name alone`, host, ...(u.port ? { port: Number(u.port) } : {}) };
  }
  if (isIP(s)) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[^:/\s]+):(\d{1,5})$/i.exec(s);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 65535) return { why: 'has a port; the port is a setting of its own', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  return undefined;
}

/**
 * The name inside a value meant as a bare name (a host, a bucket, a region): a URL's host, the part
 * before a port or a '/', trimmed; as written otherwise. The callers' own rules then judge it.
 */
export function nameInside(v: string): string {
  return hostValueParts(v)?.host ?? v.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\/+/, '').split(/[/?#]/)[0]!.replace(/:\d*$/, '');
}

/**
 * A URL written with the scheme twice (`https://http://minio:9000`, `https://https://idp`): Go's
 * url.Parse and every HTTP client take the inner scheme for a host name and dial a host named
 * `http`. `meant` is the URL after the first scheme (the inner one kept, as written).
 */
export function schemeTwice(v: string | undefined): { dialed: string; meant: string } | undefined {
  const m = v ? /^([a-z][a-z0-9+.-]*):\/\/+([a-z][a-z0-9+.-]*):\/\//i.exec(v.trim()) : undefined;
  if (!m) return undefined;
  return { dialed: m[2]!.toLowerCase(), meant: v!.trim().slice(m[1]!.length + 3).replace(/^\/+/, '') };
}
