// Every nginx variant of the test bed through the TLS and client-config checks: status, the first
// failing check, and that the hint names the fix.
import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, firstFail, run, runMany } from '../client/bed.js';

const SEL = ['tls.*', 'client.*'];

describe('tls.admin.* on the nginx variants', () => {
  it('healthy TLS with the test CA: every TLS and client check passes', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.https));
    for (const r of results) expect(r.status, brief(r)).toBe('pass');
    const hs = results.find((r) => r.id === 'tls.admin.handshake')!;
    expect(hs.details).toMatchObject({ alpn: 'h2' });
    expect(String(hs.details?.tlsVersion)).toMatch(/TLSv1\.[23]/);
    expect(results.find((r) => r.id === 'tls.admin.trust')?.messageId).toBe('trustedByCaFile');
    expect(results.find((r) => r.id === 'tls.admin.hostname')?.details?.certificateNames).toContain('DNS:flyte.test');
  });

  it('plaintext where TLS is expected: tls.admin.handshake fails with WRONG_VERSION_NUMBER', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.plaintext));
    const hs = results.find((r) => r.id === 'tls.admin.handshake')!;
    expect(hs.status).toBe('fail');
    expect(hs.messageId).toBe('plaintextPort');
    expect(hs.message).toContain('WRONG_VERSION_NUMBER');
    expect(hs.hint).toContain('admin.insecure: true');
    expect(results.find((r) => r.id === 'tls.admin.trust')?.status).toBe('skip');
    const mode = results.find((r) => r.id === 'client.config.tls-mode')!;
    expect(mode.status).toBe('fail');
    expect(mode.messageId).toBe('httpOnlyPort');
  });

  it('expired certificate: tls.admin.expiry fails, the chain itself is trusted', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.expired));
    expect(firstFail(results)?.id, results.map(brief).join('\n')).toBe('tls.admin.expiry');
    const ex = results.find((r) => r.id === 'tls.admin.expiry')!;
    expect(ex.messageId).toBe('expired');
    expect(ex.hint).toMatch(/renew the certificate/);
    expect(results.find((r) => r.id === 'tls.admin.trust')?.status).toBe('pass');
    expect(results.find((r) => r.id === 'tls.admin.hostname')?.status).toBe('pass');
  });

  it('wrong-host certificate: tls.admin.hostname fails and names the certificate\'s names', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.wrongHost));
    expect(firstFail(results)?.id).toBe('tls.admin.hostname');
    const h = results.find((r) => r.id === 'tls.admin.hostname')!;
    expect(h.messageId).toBe('hostnameMismatch');
    expect(h.message).toContain('valid for other.example, not flyte.test');
    expect(h.hint).toContain('subjectAltName');
    expect(h.hint).toContain('dns:///other.example');
  });

  it('self-signed certificate: trust fails (caCertFilePath does not sign it), tls-mode says which CA to set', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.selfSigned));
    const trust = results.find((r) => r.id === 'tls.admin.trust')!;
    expect(trust.status).toBe('fail');
    expect(trust.messageId).toBe('caFileDoesNotSign');
    expect(trust.hint).toContain('admin.caCertFilePath');
    const mode = results.find((r) => r.id === 'client.config.tls-mode')!;
    expect(mode.messageId).toBe('caFileWrong');
  });

  it('self-signed without caCertFilePath: selfSigned / untrustedNoCa with the caCertFilePath fix', async () => {
    const results = await runMany(SEL, bedTarget(bed().nginx.selfSigned, { caCertFilePath: undefined }));
    expect(results.find((r) => r.id === 'tls.admin.trust')?.messageId).toBe('selfSigned');
    const mode = results.find((r) => r.id === 'client.config.tls-mode')!;
    expect(mode.status).toBe('fail');
    expect(mode.messageId).toBe('untrustedNoCa');
    expect(mode.hint).toContain('admin.caCertFilePath');
  });

  it('private CA without caCertFilePath: untrusted, hint names the issuing CA', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https, { caCertFilePath: undefined }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('untrusted');
    expect(result.hint).toContain('admin.caCertFilePath');
  });

  it('untrusted chain with insecureSkipVerify: warn, not fail', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.selfSigned, { caCertFilePath: undefined, insecureSkipVerify: true }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('untrustedSkipVerify');
  });

  it('stalled endpoint: tls.admin.handshake fails with "no answer" within the budget', async () => {
    const s = bed().stall;
    const t0 = Date.now();
    const { result } = await run('tls.admin.handshake', bedTarget(s.port, { endpoint: `dns:///${s.host}:${s.port}`, host: s.host, port: s.port }), { timeoutMs: 3000 });
    const elapsed = Date.now() - t0;
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('noAnswer');
    expect(result.message).toMatch(/no answer from 127\.0\.0\.1:\d+ within \d/);
    expect(elapsed).toBeLessThan(3500);
  });

  it('nowhere name: resolves, nothing listens -> refused', async () => {
    const n = bed().dns.names.nowhere;
    const { result, results } = await run('tls.admin.handshake', bedTarget(443, { endpoint: `dns:///${n}`, host: n, port: 443 }));
    expect(results.find((r) => r.id === 'dns.admin.resolve')?.status).toBe('pass');
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('refused');
    expect(result.hint).toContain('port');
  });
});
