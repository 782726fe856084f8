// The TLS and client-config checks against real TLS servers: the shared test bed's nginx variants and
// private ones (test/checks/tls/servers.ts: an intermediate-CA chain with and without the
// intermediate, TLS 1.0/1.1 only, no h2, ingress-nginx's fake certificate, not yet valid, CN only,
// mutual TLS). Each case asserts the finding (messageId), its cause key and what the fix names.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impostors, startDropping, startTcp, type Running } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, run, runMany } from '../client/bed.js';
import { startTlsVariants, type TlsVariants } from './servers.js';

const SEL = ['tls.*', 'client.*'];
const by = (rs: Awaited<ReturnType<typeof runMany>>, id: string) => rs.find((r) => r.id === id)!;
const show = (rs: Awaited<ReturnType<typeof runMany>>) => rs.map(brief).join('\n');
/** Provenance as the loader writes it when the values render the Ingress for flyte.test. */
const fromValues = { provenance: { 'ingress.host': 'values.yaml: ingress.host' } };

describe('tls.admin.* and client.config.tls-mode on the shared test bed variants', () => {
  it('healthy TLS with the private test CA in caCertFilePath: everything passes, trust warns that the CA is private', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.https));
    for (const r of rs) expect(r.status, brief(r)).toBe(r.id === 'tls.admin.trust' ? 'warn' : 'pass');
    expect(by(rs, 'tls.admin.trust').messageId).toBe('privateCa');
    expect(by(rs, 'tls.admin.trust').hint).toMatch(/task pods/);
    expect(by(rs, 'tls.admin.handshake').details).toMatchObject({ alpn: 'h2' });
    expect(by(rs, 'tls.admin.hostname').details?.certificateNames).toContain('DNS:flyte.test');
    expect(by(rs, 'client.config.tls-mode').messageId).toBe('tlsMatches');
  });

  it('plain HTTP where TLS is expected: the handshake names the plaintext port, the certificate checks are blocked', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.plaintext));
    const hs = by(rs, 'tls.admin.handshake');
    expect(hs.status).toBe('fail');
    expect(hs.messageId).toBe('plaintextPort');
    expect(hs.message).toMatch(/plain HTTP\/1\.x .*WRONG_VERSION_NUMBER/);
    expect(hs.cause).toBe(`tls-plaintext:flyte.test:${bed().nginx.plaintext}`);
    expect(by(rs, 'tls.admin.trust').status).toBe('skip');
    const mode = by(rs, 'client.config.tls-mode');
    expect(mode.messageId).toBe('httpOnlyPort');
    expect(mode.cause).toBe(hs.cause);
  });

  it('expired certificate: tls.admin.expiry fails with the tls-expired cause; chain and name are fine', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.expired));
    const ex = by(rs, 'tls.admin.expiry');
    expect(ex.messageId, show(rs)).toBe('expired');
    expect(ex.cause).toBe(`tls-expired:flyte.test:${bed().nginx.expired}`);
    expect(ex.hint).toMatch(/renew the certificate/);
    expect(by(rs, 'tls.admin.trust').messageId).toBe('privateCa');
    expect(by(rs, 'tls.admin.hostname').status).toBe('pass');
  });

  it('a certificate for another name on the Ingress host: the Ingress TLS Secret is wrong (tls.secretName named)', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.wrongHost, {}, fromValues));
    const h = by(rs, 'tls.admin.hostname');
    expect(h.messageId, show(rs)).toBe('nameMismatch');
    expect(h.message).toContain('valid for other.example, not flyte.test');
    expect(h.hint).toContain('ingress.tls[].secretName');
    expect(h.hint).toContain('subjectAltName');
    expect(h.cause).toBe(`tls-name:flyte.test:${bed().nginx.wrongHost}`);
  });

  it('the client dials another name than the Ingress host the certificate is for: dial the Ingress host', async () => {
    const port = bed().nginx.https;
    const t = bedTarget(port, { endpoint: `dns:///lb.flyte.test:${port}`, host: 'lb.flyte.test', port }, { provenance: { 'ingress.host': 'values.yaml: ingress.host', 'client.endpoint': '/home/u/.flyte/config.yaml: admin.endpoint' } });
    const { result } = await run('tls.admin.hostname', t);
    expect(result.messageId, brief(result)).toBe('wrongNameDialled');
    expect(result.hint).toContain(`admin.endpoint: "dns:///flyte.test:${port}" in /home/u/.flyte/config.yaml`);
  });

  it('self-signed certificate while caCertFilePath holds another CA: caFileDoesNotSign; the mode itself matches', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.selfSigned));
    const trust = by(rs, 'tls.admin.trust');
    expect(trust.messageId, show(rs)).toBe('caFileDoesNotSign');
    expect(trust.hint).toContain('admin.caCertFilePath');
    expect(trust.cause).toBe(`tls-untrusted:flyte.test:${bed().nginx.selfSigned}`);
    expect(by(rs, 'client.config.tls-mode').messageId).toBe('tlsMatches');
  });

  it('self-signed without caCertFilePath: selfSigned, fix sets caCertFilePath (pyflyte: FLYTE_PLATFORM_CA_CERT_FILE_PATH)', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.selfSigned, { caCertFilePath: undefined }));
    expect(result.messageId).toBe('selfSigned');
    expect(result.hint).toContain('admin.caCertFilePath');
    expect(result.hint).toContain('FLYTE_PLATFORM_CA_CERT_FILE_PATH');
  });

  it('private CA without caCertFilePath: untrusted, the issuer named', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https, { caCertFilePath: undefined }));
    expect(result.messageId).toBe('untrusted');
    expect(result.message).toContain('CN=flyte-doctor test ca');
  });

  it('untrusted chain hidden by insecureSkipVerify: warn (both clients accept it), and the fix drops skip-verify', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.selfSigned, { caCertFilePath: undefined, insecureSkipVerify: true }));
    expect(by(rs, 'tls.admin.trust').messageId, show(rs)).toBe('untrustedSkipVerify');
    expect(by(rs, 'tls.admin.trust').hint).toContain('admin.insecureSkipVerify');
    expect(by(rs, 'client.config.tls-mode').status).toBe('pass');
  });

  it('a name mismatch is a fail even with insecureSkipVerify: pyflyte still checks the name', async () => {
    const { result } = await run('tls.admin.hostname', bedTarget(bed().nginx.wrongHost, { insecureSkipVerify: true }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nameMismatchSkipVerify');
    expect(result.message).toMatch(/pyflyte/);
  });

  it('insecureSkipVerify on a chain that verifies: warn, remove it from the file that sets it', async () => {
    const t = bedTarget(bed().nginx.https, { insecureSkipVerify: true }, { provenance: { 'client.insecureSkipVerify': '/home/u/.flyte/config.yaml: admin.insecureSkipVerify' } });
    const { result } = await run('client.config.tls-mode', t);
    expect(result.messageId).toBe('skipVerifyUnneeded');
    expect(result.hint).toContain('remove admin.insecureSkipVerify from /home/u/.flyte/config.yaml');
  });

  it('insecure: true against TLS: a client finding naming FLYTE_PLATFORM_INSECURE when the env sets it; the handshake check is skipped', async () => {
    const t = bedTarget(bed().nginx.https, { insecure: true }, { provenance: { 'client.insecure': 'env FLYTE_PLATFORM_INSECURE' } });
    const rs = await runMany(SEL, t);
    const mode = by(rs, 'client.config.tls-mode');
    expect(mode.messageId, show(rs)).toBe('insecureAgainstTls');
    expect(mode.message).toContain('FLYTE_PLATFORM_INSECURE=true');
    expect(mode.hint).toContain('FLYTE_PLATFORM_INSECURE=false');
    expect(mode.cause).toBe(`tls-plaintext:flyte.test:${bed().nginx.https}`);
    expect(by(rs, 'tls.admin.handshake').status).toBe('skip');
  });

  it('stalled endpoint (accepts TCP, never answers): a black hole, not a firewall, within the budget', async () => {
    const s = bed().stall;
    const t0 = Date.now();
    const { result } = await run('tls.admin.handshake', bedTarget(s.port, { endpoint: `dns:///${s.host}:${s.port}`, host: s.host, port: s.port }), { timeoutMs: 3000 });
    expect(result.messageId, brief(result)).toBe('silentServer');
    expect(result.message).toMatch(/accepted the TCP connection but sent nothing back to the TLS ClientHello within \d\.\ds: it accepts connections but no server answers behind them/);
    expect(result.hint).toMatch(/load balancer whose targets are unhealthy/);
    expect(result.hint).not.toMatch(/firewall/);
    expect(result.cause).toBe(`unreachable:127.0.0.1:${s.port}`);
    expect(Date.now() - t0).toBeLessThan(3500);
  });

  it('a path that delivers the first bytes of the server\'s answer and drops the rest (an MTU black hole in front of the real nginx): handshakeStalled with the byte count, not "sent nothing"', async () => {
    // A relay to the bed's real TLS nginx that passes the ClientHello whole and only the first 60
    // bytes of the server's flight back: the large packets of the certificate chain never arrive.
    const relay = await startTcp((c) => {
      const up = connect(bed().nginx.https, '127.0.0.1');
      up.on('error', () => c.destroy());
      c.on('close', () => up.destroy());
      c.pipe(up);
      let passed = 0;
      up.on('data', (d: Buffer) => { const room = 60 - passed; if (room > 0) { c.write(d.subarray(0, room)); passed += Math.min(room, d.length); } });
    });
    try {
      const t0 = Date.now();
      const { result } = await run('tls.admin.handshake', bedTarget(relay.port), { timeoutMs: 3000 });
      expect(result.messageId, brief(result)).toBe('handshakeStalled');
      expect(result.message).toMatch(/accepted the TCP connection and sent 60 byte\(s\) of its answer to the TLS ClientHello, then nothing more within \d\.\ds: the handshake started and stopped midway/);
      expect(result.hint).toMatch(/MTU black hole/);
      expect(result.hint).not.toMatch(/unhealthy/);
      expect(result.details).toMatchObject({ bytesReceived: 60, tcp: 'connected' });
      expect(Date.now() - t0).toBeLessThan(3500);
    } finally { await relay.stop(); }
  });

  it('dropped SYNs (what a firewall that drops does): "no answer", the firewall named, within the budget', async () => {
    const drop = await startDropping();
    try {
      const t0 = Date.now();
      const { result } = await run('tls.admin.handshake', bedTarget(drop.port, { endpoint: `dns:///127.0.0.1:${drop.port}`, host: '127.0.0.1', port: drop.port }), { timeoutMs: 3000 });
      expect(result.messageId, brief(result)).toBe('noAnswer');
      expect(result.hint).toMatch(/firewall or security group drops TCP/);
      expect(Date.now() - t0).toBeLessThan(3500);
    } finally { await drop.stop(); }
  });

  it('nowhere name: resolves, nothing listens -> refused (unreachable cause)', async () => {
    const n = bed().dns.names.nowhere;
    const { result, results } = await run('tls.admin.handshake', bedTarget(443, { endpoint: `dns:///${n}`, host: n, port: 443 }));
    expect(results.find((r) => r.id === 'dns.admin.resolve')?.status).toBe('pass');
    expect(result.messageId).toBe('refused');
    expect(result.cause).toBe(`unreachable:${n}:443`);
  });

  it('an SSH server on the port: named as such', async () => {
    const ssh: Running = await startTcp(impostors.ssh);
    try {
      const { result } = await run('tls.admin.handshake', bedTarget(ssh.port, { endpoint: `dns:///127.0.0.1:${ssh.port}`, host: '127.0.0.1', port: ssh.port }));
      expect(result.messageId, brief(result)).toBe('wrongService');
      expect(result.message).toMatch(/SSH server/);
      expect(result.cause).toBe(`wrong-service:127.0.0.1:${ssh.port}`);
    } finally { await ssh.stop(); }
  });
});

describe('tls.admin.* on private TLS servers', () => {
  let v: TlsVariants;
  beforeAll(async () => { v = await startTlsVariants(); }, 60_000);
  afterAll(async () => { await v?.stop(); });
  const at = (variant: keyof TlsVariants['ports'], client: Parameters<typeof bedTarget>[1] = {}, extra: Parameters<typeof bedTarget>[2] = {}) => bedTarget(v.ports[variant], client, extra);

  it('full chain from a private root in caCertFilePath: trusted (privateCa warn), nothing fails', async () => {
    const rs = await runMany(SEL, at('chainFull', { caCertFilePath: v.pki.root }));
    for (const r of rs) expect(r.status, brief(r)).toBe(r.id === 'tls.admin.trust' ? 'warn' : 'pass');
    expect(by(rs, 'tls.admin.trust').messageId).toBe('privateCa');
  });

  it('a CA bundle appended to the served certificate (~180 KB of chain): handshakeTooLarge names the size limits and tls.crt, not "check the host and port"', async () => {
    const rs = await runMany(SEL, at('bundleAppended', { caCertFilePath: v.pki.root }));
    const hs = by(rs, 'tls.admin.handshake');
    expect(hs.messageId, show(rs)).toBe('handshakeTooLarge');
    expect(hs.message).toMatch(/larger than clients accept.*64 KiB/);
    expect(hs.hint).toContain("TLS Secret's tls.crt");
    expect(hs.cause).toBe(`tls-chain:flyte.test:${v.ports.bundleAppended}`);
    expect(by(rs, 'tls.admin.trust').status).toBe('skip');
  });

  it('the server does not send its intermediate (AIA names it): serve the full chain, never change caCertFilePath', async () => {
    const rs = await runMany(SEL, at('leafOnlyAia', { caCertFilePath: v.pki.root }));
    const trust = by(rs, 'tls.admin.trust');
    expect(trust.messageId, show(rs)).toBe('intermediateNotSent');
    expect(trust.message).toContain('CN=flyte-doctor tls-client intermediate');
    expect(trust.hint).toMatch(/full chain/);
    expect(trust.hint).toContain('tls.crt');
    expect(trust.hint).not.toMatch(/set admin\.caCertFilePath|caCertFilePath:/);
    expect(trust.cause).toBe(`tls-chain:flyte.test:${v.ports.leafOnlyAia}`);
    expect(trust.details?.fetchedIssuer).toContain('tls-client intermediate');
    expect(by(rs, 'client.config.tls-mode').status).toBe('pass');
  });

  it('the server does not send its intermediate, but the local bundle has it: warn (works only here)', async () => {
    const { result } = await run('tls.admin.trust', at('leafOnly', { caCertFilePath: v.pki.rootAndIntermediate }));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId).toBe('intermediateNotSentHidden');
    expect(result.hint).toMatch(/full chain/);
    expect(result.cause).toBe(`tls-chain:flyte.test:${v.ports.leafOnly}`);
  });

  it('an untrusted root the server sends itself: untrustedRoot names the root', async () => {
    const { result } = await run('tls.admin.trust', at('sentRoot', { caCertFilePath: undefined }));
    expect(result.messageId, brief(result)).toBe('untrustedRoot');
    expect(result.message).toContain('CN=flyte-doctor tls-client root');
  });

  it('TLS 1.0/1.1 only: oldTls with the tls-version cause', async () => {
    const rs = await runMany(SEL, at('tls10'));
    const hs = by(rs, 'tls.admin.handshake');
    expect(hs.messageId, show(rs)).toBe('oldTls');
    expect(hs.message).toMatch(/TLSv1\.1/);
    expect(hs.cause).toBe(`tls-version:flyte.test:${v.ports.tls10}`);
    expect(hs.hint).toMatch(/TLSv1\.2/);
  });

  it('TLS without h2 in ALPN: noH2 with the tls-alpn cause', async () => {
    const { result } = await run('tls.admin.handshake', at('noH2'));
    expect(result.messageId, brief(result)).toBe('noH2');
    expect(result.message).toMatch(/ALPN http\/1\.1/);
    expect(result.cause).toBe(`tls-alpn:flyte.test:${v.ports.noH2}`);
  });

  it('ingress-nginx fake certificate: the Ingress TLS Secret (tls.secretName per chart), never "trust it"', async () => {
    const rs = await runMany(SEL, at('fakeCert'));
    const trust = by(rs, 'tls.admin.trust');
    expect(trust.messageId, show(rs)).toBe('defaultCertificate');
    expect(trust.message).toContain('Kubernetes Ingress Controller Fake Certificate');
    expect(trust.hint).toContain('ingress.tls[].secretName');
    expect(trust.hint).not.toMatch(/set admin\.caCertFilePath/);
    expect(trust.cause).toBe(`tls-default-cert:flyte.test:${v.ports.fakeCert}`);
    const name = by(rs, 'tls.admin.hostname');
    expect(name.messageId).toBe('defaultCertificate');
    expect(name.cause).toBe(trust.cause);
    const core = await run('tls.admin.trust', at('fakeCert', {}, { chart: 'flyte-core', ingress: { host: 'flyte.test', valuesKey: 'common.ingress', tls: true, annotations: {}, grpcAnnotations: {}, separateGrpcIngress: false, enabled: true } }));
    expect(core.result.hint).toContain('common.ingress.tls.secretName');
  });

  it('a certificate that is not valid yet: notYetValid names the clock', async () => {
    const { result } = await run('tls.admin.expiry', at('notYetValid'));
    expect(result.messageId, brief(result)).toBe('notYetValid');
    expect(result.hint).toMatch(/clock/);
  });

  it('a certificate with only a CN: cnOnly (flytectl refuses it)', async () => {
    const { result } = await run('tls.admin.hostname', at('cnOnly'));
    expect(result.messageId, brief(result)).toBe('cnOnly');
    expect(result.hint).toContain('subjectAltName');
  });

  it('a server that requires a client certificate: the handshake_failure alert is named', async () => {
    const { result } = await run('tls.admin.handshake', at('mtls'));
    expect(result.messageId, brief(result)).toBe('handshakeFailure');
    expect(result.details?.tlsAlert).toBe('handshake_failure (40)');
    expect(result.hint).toMatch(/client certificate/);
  });

  it('SSL_CERT_FILE makes flytectl trust a private CA, not pyflyte: onlyOneClient', async () => {
    const t = bedTarget(bed().nginx.https, { caCertFilePath: undefined });
    t.client.trustEnv = { SSL_CERT_FILE: bed().caCert }; // as the loader reads it from the environment
    const { result } = await run('tls.admin.trust', t);
    expect(result.messageId, brief(result)).toBe('onlyOneClient');
    expect(result.message).toMatch(/trusted by flytectl .* not by pyflyte/);
  });
});
