// The trust a client config implies (system roots + admin.caCertFilePath, insecureSkipVerify), for
// every TLS connection flyte-doctor makes the way flytectl/pyflyte would.
import type { Target } from '../config/target.js';
import { readPemFile, splitPem } from './tls.js';

export interface ClientTrust {
  /** PEMs to verify against: Node's bundled roots plus caCertFilePath; undefined = bundled roots only. */
  ca?: string[];
  skipVerify: boolean;
  caFile?: string;
  /** Set when caCertFilePath is configured but cannot be read. */
  caFileError?: string;
  /** Certificates found in caCertFilePath. */
  caFileCerts: string[];
}

/** The trust the client config implies: system roots + admin.caCertFilePath, insecureSkipVerify. */
export async function clientTrust(target: Target): Promise<ClientTrust> {
  const { rootCertificates } = await import('node:tls');
  const c = target.client;
  const base: ClientTrust = { skipVerify: c.insecureSkipVerify, caFileCerts: [], ...(c.caCertFilePath ? { caFile: c.caCertFilePath } : {}) };
  if (!c.caCertFilePath) return base;
  try {
    const pem = (await readPemFile(c.caCertFilePath)) ?? '';
    const certs = splitPem(pem);
    if (!certs.length) return { ...base, caFileError: 'no PEM certificate in the file' };
    return { ...base, ca: [...rootCertificates, ...certs], caFileCerts: certs };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ...base, caFileError: err.code === 'ENOENT' ? 'file does not exist' : err.code === 'EACCES' ? 'file is not readable' : err.message };
  }
}

