// Shared by the tls.admin.* checks and client.config.tls-mode: one TLS handshake per endpoint, the
// chain judged once against the stores each client really uses, and the outcomes for a handshake
// that did not complete (with the TLS alert, and what listens when it is not TLS).
//
// Cause keys: every fault here is keyed with src/engine/causes.ts so the gRPC/HTTP checks that fail
// on the same endpoint for the same reason are explained by the tls.* check. Other areas can call
// tlsFailureCause() / netFailureCause() to build the same key.
import { hostPort, isPrivateAddress, type GrpcTarget } from '../../src/config/endpoints.js';
import type { Target } from '../../src/config/target.js';
import { alertOf, analyzeChain, defaultCertOf, ProbeError, plainProbe, postHandshakeAlert, sentInOrder, sharedTlsProbe, type ChainFacts, type NetErrorKind, type PlainProbeResult, type StoreAnchor, type CertInfo, type TlsAlert, type TlsProbeResult } from '../../src/clients/tls.js';
import { clientTrust, trustStores, type ClientTrust } from '../../src/clients/trust.js';
import { describeService, identifyService, type ServiceEvidence } from '../../src/clients/sniff.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { probeTimeout, seconds } from '../../src/engine/budget.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';
import { clientFix, clientWhere } from '../../src/flyte/client.js';

export type TlsCauseKind = Parameters<typeof cause.tls>[0];

/** The cause key of a TLS fault of `e`. */
export const tlsCause = (kind: TlsCauseKind, e: { host: string; port: number }) => cause.tls(kind, hostPortKey(e.host, e.port));

/** Which client reads which store: caCertFilePath alone when set, else its own system store. */
export function effectiveStores(trust: ClientTrust): { flytectl: string; pyflyte: string } {
  if (trust.caFileCerts.length) return { flytectl: 'caCertFilePath', pyflyte: 'caCertFilePath' };
  const env = (v: string) => trust.envStores.find((s) => s.variable === v && s.certs.length) ? v : 'system';
  return { flytectl: env('SSL_CERT_FILE'), pyflyte: env('GRPC_DEFAULT_SSL_ROOTS_FILE_PATH') };
}

// A throwaway self-signed client certificate (trusted nowhere, its key is public on purpose): offered only to tell a
// TLS 1.2 server that wants a client certificate from one that shares no cipher suite, when both say handshake_failure.
const PROBE_CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIBzTCCAXOgAwIBAgIUe/Iw/M1QzawZ581dd1JifJQbJpYwCgYIKoZIzj0EAwIw
OzE5MDcGA1UEAwwwZmx5dGUtZG9jdG9yIHByb2JlIGNsaWVudCAobm90IHRydXN0
ZWQgYW55d2hlcmUpMCAXDTI2MTEyOTE0MDIyMVoYDzIxMjYxMTA1MTQwMjIxWjA7
MTkwNwYDVQQDDDBmbHl0ZS1kb2N0b3IgcHJvYmUgY2xpZW50IChub3QgdHJ1c3Rl
ZCBhbnl3aGVyZSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATn80C5w/xvro6o
ow5n1QEmYwEnFaQ2B9XCFZM1RTaxvA7/eM9/WfSWiC+3OoO4BEHABcpXQXMH8MX+
Z57kJKyvo1MwUTAdBgNVHQ4EFgQU+JqBK0ZR1gSy1JAeLdrCm2cfI+owHwYDVR0j
BBgwFoAU+JqBK0ZR1gSy1JAeLdrCm2cfI+owDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEAsy8z608BzOBGUoosG1QNw6J81Jy6Xd2viFCyKAE3fF0C
IANWDgFxpZYQc7k+hinzTL91M1XfWcBQl59sxWNV1j3v
-----END CERTIFICATE-----`;
/**
 * The alerts about the client's certificate (RFC 8446 §6.2, RFC 5246 §7.2.2): no_certificate, bad, unsupported, revoked,
 * expired, unknown, unknown_ca, required. A server never sends them about its own certificate: to a client that sent
 * none they mean it demands one (Go servers, Traefik among them, answer a missing one with bad_certificate on TLS 1.2).
 */
export const CERT_ALERTS: ReadonlySet<number> = new Set([41, 42, 43, 44, 45, 46, 48, 116]);
const PROBE_CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjTI34Va7XWxMf9pD
glcv/iYZ2lHUTWVnXnm/6iQSZj6hRANCAATn80C5w/xvro6oow5n1QEmYwEnFaQ2
B9XCFZM1RTaxvA7/eM9/WfSWiC+3OoO4BEHABcpXQXMH8MX+Z57kJKyv
-----END PRIVATE KEY-----`;

/** How a handshake with the probe client certificate ends: an alert, 'ok', 'closed' (no alert); undefined on timeout. */
export async function withClientCert(address: string, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<TlsAlert | 'ok' | 'closed' | undefined> {
  const tls = await import('node:tls');
  const { isIP } = await import('node:net');
  return new Promise((resolve) => {
    let settled = false;
    const sock = tls.connect({ host: address, port, ...(isIP(host) ? {} : { servername: host }), ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', cert: PROBE_CLIENT_CERT, key: PROBE_CLIENT_KEY });
    const done = (r: TlsAlert | 'ok' | 'closed' | undefined) => { if (settled) return; settled = true; clearTimeout(timer); signal?.removeEventListener('abort', onAbort); sock.destroy(); resolve(r); };
    const onAbort = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('secureConnect', () => done('ok'));
    // Node-like servers verify the certificate after the handshake and close the connection without an alert.
    sock.once('error', (err) => done(alertOf(err) ?? 'closed'));
    sock.once('close', () => done('closed'));
  });
}


/** Alerts that say the server (or a TLS-inspecting box in the path) could not parse or accept what the client sent. */
export const CLIENT_HELLO_ALERTS: ReadonlySet<number> = new Set([10, 20, 22, 47, 50, 51, 109, 110]);

/** How the server answered the throwaway client certificate, when that tells a client-certificate demand (else undefined). */
export type ClientCertAnswer = TlsAlert | 'ok' | 'closed';
export const clientCertAnswerText = (r: ClientCertAnswer): string => (r === 'ok' ? 'handshake completed' : r === 'closed' ? 'closed without an alert' : `${r.name} (${r.code})`);

/**
 * Whether a handshake_failure (40) of `e` is a client-certificate demand (TLS 1.2 mutual TLS: OpenSSL and BoringSSL
 * send 40 both for "peer did not return a certificate" and for "no shared cipher"): a second handshake with a
 * throwaway certificate changes the answer only when the server asked for one. Once per endpoint and run; undefined
 * when the alert is not 40, the answer does not change, or there is no time left.
 */
export async function clientCertDemand(ctx: CheckContext, e: { host: string; port: number }, err: ProbeError): Promise<ClientCertAnswer | undefined> {
  if (err.alert?.code !== 40 || !err.address) return undefined;
  const address = err.address;
  return ctx.shared(`tls-client-cert-demand:${hostPort(e)}:${ctx.target.dnsServer ?? 'system'}`, async () => {
    if (ctx.remainingMs() <= 800) return undefined;
    const r = await withClientCert(address, e.host, e.port, Math.min(1500, ctx.remainingMs() - 500), ctx.signal);
    return r && (typeof r === 'string' || CERT_ALERTS.has(r.code)) ? r : undefined;
  });
}

export interface TlsView {
  where: string;
  probe: TlsProbeResult;
  trust: ClientTrust;
  facts: ChainFacts;
  /** The store each client uses, and where the chain is anchored in it (absent: not trusted). */
  stores: { flytectl: string; pyflyte: string };
  anchorFor: { flytectl?: StoreAnchor; pyflyte?: StoreAnchor };
}

/** The handshake and the chain facts of `e`, once per run. Throws the probe's ProbeError. */
export async function tlsView(ctx: CheckContext, e: { host: string; port: number }): Promise<TlsView> {
  const probe = await sharedTlsProbe(ctx, e, probeTimeout(ctx));
  return ctx.shared(`tls-view:${hostPort(e)}:${ctx.target.dnsServer ?? 'system'}`, async () => {
    const trust = await clientTrust(ctx.target);
    const all = await trustStores(trust);
    const stores = effectiveStores(trust);
    let p = probe;
    let facts = await analyzeChain(p.chain, all);
    // Not anchored, and the chain Node rebuilt ends below a root: Node loses certificates of a chain
    // sent out of order, which clients use; read the chain as sent (a TLS 1.2 handshake) and judge that.
    const top = p.chain[p.chain.length - 1];
    if ((!facts.anchors[stores.flytectl] || !facts.anchors[stores.pyflyte]) && p.chain.length >= 2 && top && !top.selfIssued && ctx.remainingMs() > 1000) {
      const sent = await sentInOrder({ host: e.host, port: e.port, timeoutMs: Math.min(1500, ctx.remainingMs() - 800), signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }, p.chain);
      if (sent) { p = { ...p, chain: sent }; facts = await analyzeChain(sent, all); }
    }
    const af = facts.anchors[stores.flytectl];
    const ap = facts.anchors[stores.pyflyte];
    return { where: hostPort(e), probe: p, trust, facts, stores, anchorFor: { ...(af ? { flytectl: af } : {}), ...(ap ? { pyflyte: ap } : {}) } };
  });
}

export interface EndpointView {
  trust: ClientTrust;
  probe?: TlsProbeResult;
  error?: ProbeError;
  /** Both clients would verify the server (chain, name, dates) with the config as it is, skip-verify aside. */
  verifies: boolean;
  /** Through which store, for messages. */
  verifiesThrough?: string;
}

/** The TLS side of `e` for client.config.tls-mode: never throws a ProbeError (aborts propagate). */
export async function endpointView(ctx: CheckContext, e: { host: string; port: number }): Promise<EndpointView> {
  let v: TlsView;
  try { v = await tlsView(ctx, e); } catch (err) {
    if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
    return { trust: await clientTrust(ctx.target), error: err, verifies: false };
  }
  const { checkServerIdentity } = await import('node:tls');
  const now = ctx.clock.now();
  const anchored = !!v.anchorFor.flytectl && !!v.anchorFor.pyflyte && !v.anchorFor.flytectl.viaStoreIntermediate;
  const named = !checkServerIdentity(e.host, v.probe.leaf) && !v.facts.cnOnly;
  const dated = v.probe.chain.every((c, i) => (i > 0 && c.selfIssued) || (c.notAfterMs >= now && c.notBeforeMs <= now));
  const verifies = anchored && named && dated && !v.facts.defaultCert && !v.facts.ekuRefused && !v.facts.notCa;
  const through = v.stores.flytectl === 'system' ? 'system roots' : v.stores.flytectl;
  return { trust: v.trust, probe: v.probe, verifies, ...(verifies ? { verifiesThrough: through } : {}) };
}

/** Whether a chain problem is a missing intermediate (the issuer is findable) rather than an unknown CA. */
export function intermediateNotSent(f: ChainFacts): boolean {
  // A leaf's issuer with a published AIA URL is an intermediate (public CAs never issue leaves from
  // their roots); an intermediate's missing issuer is usually the root, unless a bundle shows otherwise.
  return !!f.missingIssuer && (!!f.issuerInStore || (!!f.caIssuers?.length && !f.lastIsCa));
}

/**
 * The cause key of what is wrong with the TLS of `e` as the client config sees it (for gRPC/HTTP
 * checks whose call failed on TLS), or undefined when the handshake is fine for both clients.
 * Order: handshake, chain, name, dates.
 */
export async function tlsFailureCause(ctx: CheckContext, e: { host: string; port: number }): Promise<string | undefined> {
  let v: TlsView;
  try { v = await tlsView(ctx, e); } catch (err) {
    if (!(err instanceof ProbeError)) return undefined;
    if (err.alert?.code === 40 && await clientCertDemand(ctx, e, err)) return cause.frontAuth(hostPortKey(e.host, e.port));
    return netFailureCause(err.kind, e, err);
  }
  if (v.trust.caFileError) return cause.config('admin.caCertFilePath');
  if (v.probe.protocol === 'TLSv1' || v.probe.protocol === 'TLSv1.1') return tlsCause('version', e);
  if (v.probe.alpn !== 'h2') return tlsCause('alpn', e);
  if (v.facts.defaultCert) return tlsCause('default-cert', e);
  if (!v.trust.skipVerify && (!v.anchorFor.flytectl || !v.anchorFor.pyflyte)) return tlsCause(intermediateNotSent(v.facts) ? 'chain' : 'untrusted', e);
  if (!v.trust.skipVerify && weakSigned(v)) return tlsCause('weak-signature', e);
  if (!v.trust.skipVerify && v.facts.ekuRefused) return tlsCause('untrusted', e);
  if (!v.trust.skipVerify && v.facts.notCa) return tlsCause('chain', e);
  const { checkServerIdentity } = await import('node:tls');
  if (checkServerIdentity(e.host, v.probe.leaf) || v.facts.cnOnly) return tlsCause('name', e);
  const now = ctx.clock.now();
  if (v.probe.chain.some((c) => c.notAfterMs < now || c.notBeforeMs > now)) return tlsCause('expired', e);
  // Last: OpenSSL at security level 2 (Node 24 / OpenSSL 3.5, Debian/Ubuntu) refuses an RSA key under 2048 bits,
  // while Go and the level-1 OpenSSL of older Node accept it: it explains the failure only when nothing else does.
  if (!v.trust.skipVerify && weakKeyCert(v)) return tlsCause('weak-key', e);
  return undefined;
}

/** The cause key of a connection that failed before TLS completed. */
export function netFailureCause(kind: NetErrorKind, e: { host: string; port: number }, err?: ProbeError): string {
  const hp = hostPortKey(e.host, e.port);
  switch (kind) {
    case 'nxdomain': case 'dns': return cause.dns(e.host);
    case 'refused': case 'timeout': return cause.unreachable(hp);
    case 'plaintext': return cause.tls('plaintext', hp);
    case 'tlsVersion': return cause.tls('version', hp);
    case 'expired': case 'notYetValid': return cause.tls('expired', hp);
    case 'hostname': return cause.tls('name', hp);
    case 'selfSigned': case 'untrusted': return cause.tls('untrusted', hp);
    default:
      if (err?.alert?.code === 70) return cause.tls('version', hp);
      // the server speaks of the client's certificate: it demands one (mutual TLS), as certificate_required says on TLS 1.3
      if (err?.alert && CERT_ALERTS.has(err.alert.code)) return cause.frontAuth(hp);
      if (err?.alert?.code === 120) return cause.tls('alpn', hp);
      return cause.tls('handshake', hp);
  }
}

/** Messages of a handshake that did not complete: declared by every check that uses handshakeFailure(). */
export const HANDSHAKE_FAILURE_MESSAGES = {
  nxdomain: { status: 'fail', summary: 'The endpoint host does not resolve (dns.admin.resolve has the DNS answer).' },
  dnsFailure: { status: 'fail', summary: 'The endpoint host could not be resolved.' },
  refused: { status: 'fail', summary: 'Nothing listens on the endpoint port (connection refused).' },
  noAnswer: { status: 'fail', summary: 'The endpoint did not answer within the probe timeout (a firewall drops it, or the load balancer is not there).' },
  handshakeStalled: { status: 'fail', summary: 'The server sent the first bytes of its TLS answer and then nothing: a path that loses large packets (MTU black hole) or a TLS terminator that stalls mid-handshake.' },
  silentServer: { status: 'fail', summary: 'The port accepts TCP connections but never answers the TLS handshake: a load balancer or proxy without a healthy backend, or another protocol waiting for the client.' },
  plaintextPort: { status: 'fail', summary: 'The port speaks plaintext (HTTP/1.1 or h2c gRPC), not TLS: WRONG_VERSION_NUMBER.' },
  wrongService: { status: 'fail', summary: 'Something other than a TLS/gRPC server listens on the port (SSH, PostgreSQL, ...).' },
  protocolVersion: { status: 'fail', summary: 'The server and the client share no TLS version (protocol_version alert or unsupported protocol).' },
  handshakeFailure: { status: 'fail', summary: 'The server aborted the handshake with handshake_failure (no shared cipher, or a client certificate it wants).' },
  unrecognizedName: { status: 'fail', summary: 'The server has no TLS configuration for this host name (unrecognized_name alert to the SNI).' },
  clientCertRequired: { status: 'fail', summary: 'The server requires a client certificate (mutual TLS) that Flyte clients do not send (certificate_required, or an alert about the client\'s certificate: bad_certificate, unknown_ca, certificate_unknown ...).' },
  noApplicationProtocol: { status: 'fail', summary: 'The server refused the ALPN protocols offered (no_application_protocol): it does not speak h2.' },
  serverInternalError: { status: 'fail', summary: 'The server failed inside the handshake (internal_error alert): its certificate or key is broken.' },
  accessDenied: { status: 'fail', summary: 'The server refused the handshake (access_denied alert): an allow-list or WAF in front.' },
  clientHelloRejected: { status: 'fail', summary: 'The server (or a TLS-inspecting box in the path) could not parse or accept what the client sent (decode_error, illegal_parameter, unexpected_message, missing_extension ...): a non-conforming TLS stack.' },
  tlsAlert: { status: 'fail', summary: 'The server aborted the handshake with a TLS alert flyte-doctor has no reading for (unrecognised: named in the message).' },
  connectionReset: { status: 'fail', summary: 'The server accepted TCP but closed the connection during the handshake without an alert.' },
  handshakeTooLarge: { status: 'fail', summary: 'The server sends a handshake message (its certificate chain) larger than TLS clients accept: OpenSSL stops at 100 KiB, Go (flytectl) at 64 KiB; usually a whole CA bundle appended to the served certificate.' },
  connectFailed: { status: 'fail', summary: 'The connection failed for another reason (the message has the error).' },
} as const;

export type HandshakeFailureId = keyof typeof HANDSHAKE_FAILURE_MESSAGES | 'notFromHere';

/** The warn a check declares when it can return handshakeFailure(): a private address that does not answer from here. */
export const NOT_FROM_HERE_MESSAGE = { notFromHere: { status: 'warn', summary: 'A private or cluster address (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) that does not answer from this machine: it cannot be checked from here.' } } as const;

/** A skip for the certificate checks when tls.admin.handshake could not reach the endpoint from here. */
export function handshakeNotFromHere(ctx: CheckContext): Outcome<never> | undefined {
  const r = ctx.result('tls.admin.handshake');
  return r?.messageId === 'notFromHere' ? { status: 'skip', message: 'the endpoint does not answer from this machine (tls.admin.handshake): its certificate cannot be checked from here' } : undefined;
}

/** What listens on `e` when TLS did not happen: the plaintext probe (h2c / HTTP/1.x), then identifyService. */
export async function whatListens(ctx: CheckContext, e: { host: string; port: number }, address: string | undefined, timeoutMs: number): Promise<{ plain?: PlainProbeResult; service?: ServiceEvidence }> {
  return ctx.shared(`what-listens:${hostPort(e)}:${ctx.target.dnsServer ?? 'system'}`, async () => {
    let plain: PlainProbeResult | undefined;
    try { plain = await plainProbe({ host: e.host, port: e.port, timeoutMs, signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }); } catch { /* below */ }
    if (plain && (plain.kind === 'h2c' || plain.kind === 'http1' || plain.kind === 'tls')) return { plain };
    if (!address) return plain ? { plain } : {};
    const service = await identifyService(address, e.port, { timeoutMs, signal: ctx.signal, servername: e.host });
    return { ...(plain ? { plain } : {}), service };
  });
}

const ALERT_IDS: Record<number, HandshakeFailureId> = {
  40: 'handshakeFailure', 112: 'unrecognizedName', 120: 'noApplicationProtocol', 80: 'serverInternalError', 49: 'accessDenied', 70: 'protocolVersion', 71: 'protocolVersion',
  ...Object.fromEntries([...CERT_ALERTS].map((c) => [c, 'clientCertRequired' as const])),
  ...Object.fromEntries([...CLIENT_HELLO_ALERTS].map((c) => [c, 'clientHelloRejected' as const])),
};

/** Why a server sends a client that presented no certificate an alert about the client's certificate, for messages. */
export function clientCertAlertText(a: TlsAlert): string {
  if (a.code === 116) return `${a.name} (${a.code}): it requires a client certificate (mutual TLS)`;
  const go = a.code === 42 ? '; Go servers (Traefik, Go proxies) answer a missing client certificate with bad_certificate on TLS 1.2' : a.code === 46 || a.code === 48 ? '; some servers answer a missing client certificate with it' : '';
  return `${a.name} (${a.code}) to a client that sent no certificate: that alert speaks of the client's certificate, never of the server's own, so the server requires a client certificate (mutual TLS)${go}`;
}

/** The reading of an alert that says the server could not parse or accept the ClientHello (CLIENT_HELLO_ALERTS), for messages. */
export function clientHelloAlertText(where: string, host: string, a: TlsAlert): { message: string; hint: string } {
  return {
    message: `${where} rejected what this client sent in the TLS handshake with the alert ${a.name} (${a.code}): the server's TLS stack, or a TLS-inspecting firewall or proxy in the path, could not parse or accept a standard ClientHello`,
    hint: `an outdated or non-conforming TLS implementation answers this: update the load balancer / ingress controller (or the TLS library of the server), and compare from another network: if \`openssl s_client -connect ${where} -servername ${host} </dev/null\` succeeds there, a TLS-inspecting proxy on this network is the cause (have it exempt ${host}); newer clients send larger ClientHellos (post-quantum key shares) that some middleboxes mangle: \`-groups X25519\` succeeding where the default fails shows it`,
  };
}

/**
 * The finding for a TLS handshake with `e` that did not complete (the client config asks for TLS).
 * Fixes name admin.insecure only when the port speaks plaintext gRPC.
 */
export async function handshakeFailure(ctx: CheckContext, e: GrpcTarget, err: ProbeError, timeoutMs: number): Promise<Outcome<HandshakeFailureId>> {
  const where = hostPort(e);
  const details: Record<string, Json> = { endpoint: where, ...(err.address ? { address: err.address } : {}), error: err.code ?? err.kind, ...(err.alert ? { tlsAlert: `${err.alert.name} (${err.alert.code})` } : {}) };
  const c = netFailureCause(err.kind, e, err);
  // Where the dialled address comes from (FLYTE_PLATFORM_URL overrides the file), for the fixes below.
  const from = e.source === 'admin.endpoint' ? clientWhere(ctx.target, 'endpoint') : `the ingress address (${e.source})`;
  switch (err.kind) {
    case 'nxdomain': return { status: 'fail', messageId: 'nxdomain', cause: c, message: `${e.host} does not exist in DNS: ${err.message}`, hint: `see dns.admin.resolve: create the record for ${e.host}, or fix the host in ${from}`, details };
    case 'dns': return { status: 'fail', messageId: 'dnsFailure', cause: c, message: `${e.host} could not be resolved: ${err.message}`, hint: 'see dns.admin.resolve: the resolver answered with an error, not with "no such name"', details };
    case 'refused': return { status: 'fail', messageId: 'refused', cause: c, message: `nothing listens on ${where} (connection refused${err.address && err.address !== e.host ? ` at ${err.address}` : ''})`, hint: `check the port in ${from} (an ingress listens on 443), and that the ingress controller / load balancer for ${e.host} exists and points at this address`, details };
    case 'timeout':
      if (isPrivateAddress(err.address)) return { status: 'warn', messageId: 'notFromHere', cause: c, message: `${where} (${err.address}, a private network address) does not answer from this machine within ${seconds(timeoutMs)}: it cannot be checked from here`, hint: `run flyte-doctor with --in-cluster (or from a machine on that network, e.g. over the VPN); clients outside that network cannot reach ${e.host} either: give them the public ingress host`, details };
      if (err.connected && err.bytesIn) {
        return { status: 'fail', messageId: 'handshakeStalled', cause: c, message: `${err.message}: the handshake started and stopped midway`, hint: `the server's first flight (ServerHello and its certificate chain) is the largest part of a handshake: a path that loses large packets (an MTU black hole: a VPN, tunnel or overlay network with a smaller MTU where ICMP "fragmentation needed" is blocked) delivers the first bytes and drops the rest. Compare from another network (\`openssl s_client -connect ${where} -servername ${e.host} </dev/null\`), and lower the tunnel's MTU or clamp the TCP MSS on it; if the path is not the cause, the TLS terminator in front of ${e.host} stalled mid-handshake (read its logs)`, details: { ...details, tcp: 'connected', bytesReceived: err.bytesIn } };
      }
      if (err.connected) {
        return { status: 'fail', messageId: 'silentServer', cause: c, message: `${err.message}: it accepts connections but no server answers behind them (a black hole, not a firewall)`, hint: `something accepts connections on ${where} without a working server behind it: a load balancer whose targets are unhealthy or not registered (the ingress controller's pods, the target group / backend service health), a \`kubectl port-forward\` to a dead pod, or a port of a service that waits for the client in another protocol; check the ingress controller pods and the load balancer's backends, or fix the port in ${from}`, details: { ...details, tcp: 'connected' } };
      }
      return { status: 'fail', messageId: 'noAnswer', cause: c, message: `no answer from ${where} within ${seconds(timeoutMs)}`, hint: `a firewall or security group drops TCP ${e.port} from this machine, or the load balancer is not provisioned (internal-only?): open the port, or run from inside the network`, details };
    default: break;
  }
  // TLS records came (OpenSSL read the server's handshake): decisive, whatever the port answers to plaintext
  if (err.code === 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE' || /excessive message size/i.test(err.message)) {
    return { status: 'fail', messageId: 'handshakeTooLarge', cause: tlsCause('chain', e), message: `${where} sends a TLS handshake message larger than clients accept (OpenSSL: "excessive message size", over 100 KiB; Go's crypto/tls in flytectl stops at 64 KiB, "handshake message of length … exceeds maximum"): its certificate chain is far too large`,
      hint: `serve only the server certificate and its intermediate(s) in the TLS Secret's tls.crt (\`openssl s_client -connect ${where} -showcerts </dev/null | grep -c BEGIN\` counts what it sends): a whole CA bundle appended to it, or a certificate with thousands of names, is what makes it this large`, details };
  }
  // The port accepted TCP: what speaks there?
  const seen = await whatListens(ctx, e, err.address, Math.min(timeoutMs, 2000));
  if (seen.plain) details.serverSpeaks = seen.plain.kind;
  if (seen.plain?.statusLine) details.httpStatusLine = seen.plain.statusLine;
  if (seen.service) details.service = describeService(seen.service);
  // A TLS alert is TLS: nginx answers plain bytes on its TLS port with "400 Bad Request" too, so
  // the plaintext probe's HTTP answer says nothing when the handshake ended with an alert.
  if (err.kind === 'plaintext' || (!err.alert && (seen.plain?.kind === 'h2c' || seen.plain?.kind === 'http1'))) {
    if (seen.plain?.kind === 'h2c') {
      const fix = clientFix(ctx.target, 'insecure', true);
      return { status: 'fail', messageId: 'plaintextPort', cause: cause.tls('plaintext', hostPortKey(e.host, e.port)), message: `${where} speaks plaintext gRPC (h2c), not TLS: the TLS handshake got WRONG_VERSION_NUMBER`, hint: `${fix ? `${fix} for this plaintext port (a port-forward or flyteadmin's gRPC port 8089)` : 'the client already asks for plaintext: see client.config.tls-mode'}, or dial the TLS ingress instead (${from}: dns:///<ingress host>)`, details };
    }
    if (seen.plain?.kind === 'http1') {
      return { status: 'fail', messageId: 'plaintextPort', cause: cause.tls('plaintext', hostPortKey(e.host, e.port)), message: `${where} speaks plain HTTP/1.x (${seen.plain.statusLine ?? 'HTTP'}), not TLS: the TLS handshake got WRONG_VERSION_NUMBER`, hint: `this is a plain HTTP listener (an ingress's port 80, or flyteadmin's 8088) where gRPC over TLS is needed: point ${from} at the TLS listener (${e.host}:443 with the ingress TLS Secret configured)`, details };
    }
    if (seen.service && !['tls', 'http', 'unknown', 'silent', 'closes'].includes(seen.service.kind)) {
      return { status: 'fail', messageId: 'wrongService', cause: cause.wrongService(hostPortKey(e.host, e.port)), message: `${where} is not a TLS endpoint: ${describeService(seen.service)} listens there`, hint: `${from} names a port of another service: point it at the Flyte ingress (443) or flyteadmin's gRPC port`, details };
    }
    return { status: 'fail', messageId: 'plaintextPort', cause: c, message: `${where} does not speak TLS (${err.code ?? 'WRONG_VERSION_NUMBER'})${seen.service ? `: ${describeService(seen.service)}` : ''}`, hint: `point ${from} at a TLS listener (the ingress on 443)`, details };
  }
  if (seen.service && ['ssh', 'smtp', 'ftp', 'mysql', 'redis', 'imap', 'pop3', 'postgres'].includes(seen.service.kind)) {
    return { status: 'fail', messageId: 'wrongService', cause: cause.wrongService(hostPortKey(e.host, e.port)), message: `${where} is not a TLS endpoint: ${describeService(seen.service)} listens there`, hint: `${from} names a port of another service: point it at the Flyte ingress (443) or flyteadmin's gRPC port`, details };
  }
  // The probe offers TLS 1.0+ at any security level (to see old servers); a server limited to TLS
  // 1.0/1.1 whose own OpenSSL refuses those at its security level answers that with internal_error.
  // What it says to a client as Flyte's (TLS 1.2+) tells the version fault apart from a broken key.
  if (err.alert?.code === 80) {
    const strict = await postHandshakeAlert({ host: e.host, port: e.port, timeoutMs: Math.min(timeoutMs, 1500), signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) });
    if (strict && (strict.code === 70 || strict.code === 71)) { details.tlsAlertToModernClient = `${strict.name} (${strict.code})`; err = new ProbeError('tlsVersion', `${err.message}; to a TLS 1.2+ client it answers ${strict.name} (${strict.code})`, err.code, err.address, { alert: strict }); }
  }
  // handshake_failure on TLS 1.2 is also how OpenSSL/BoringSSL refuse a client without a certificate: a second
  // handshake with a throwaway one decides. The messageId stays that of the alert; the cause is the one of
  // certificate_required (TLS 1.3), so both versions of the same mutual TLS are one fault.
  const demand = err.alert?.code === 40 ? await clientCertDemand(ctx, e, err) : undefined;
  if (demand) {
    return { status: 'fail', messageId: 'handshakeFailure', cause: cause.frontAuth(hostPortKey(e.host, e.port)), message: `${where} aborts the handshake with handshake_failure (40) when no client certificate is sent and ${demand === 'ok' ? 'completes it' : demand === 'closed' ? 'accepts the handshake, then closes the connection without an alert (it rejected the certificate)' : `answers ${demand.name} (${demand.code}) instead`} when one is: it requires a client certificate (mutual TLS), not a cipher suite this client lacks`, hint: 'Flyte clients (flytectl, pyflyte) do not present client certificates: turn off client-certificate verification for the Flyte host (ingress-nginx auth-tls-verify-client: "off", or the load balancer\'s mTLS setting), or put Flyte behind a listener without mTLS', details: { ...details, tlsAlert: 'handshake_failure (40)', withClientCertificate: clientCertAnswerText(demand) } };
  }
  const alertId = err.alert ? ALERT_IDS[err.alert.code] : undefined;
  const alertText = err.alert ? `TLS alert ${err.alert.name} (${err.alert.code})` : '';
  if (err.kind === 'tlsVersion' || alertId === 'protocolVersion') {
    if (err.alert?.code === 71) {
      return { status: 'fail', messageId: 'protocolVersion', cause: cause.tls('version', hostPortKey(e.host, e.port)), message: `${where} refused the handshake with ${alertText}: it requires stronger parameters than the client offered (a newer TLS version, or cipher suites / key-exchange groups its policy allows): ${err.message}`, hint: 'Flyte clients speak TLS 1.2 and 1.3 with the usual ECDHE/AES-GCM suites: keep those allowed on the ingress / load balancer (ingress-nginx ssl-protocols "TLSv1.2 TLSv1.3" and the default ssl-ciphers; ALB: an ELBSecurityPolicy-TLS13-1-2-* policy, not a FIPS/PQ-only one), and check the server\'s log for the parameter it wanted', details };
    }
    return { status: 'fail', messageId: 'protocolVersion', cause: cause.tls('version', hostPortKey(e.host, e.port)), message: `${where} and this client share no TLS version${alertText ? ` (${alertText})` : ''}: ${err.message}`, hint: 'enable TLS 1.2 and 1.3 on the ingress / load balancer (ingress-nginx ConfigMap ssl-protocols: "TLSv1.2 TLSv1.3"; ALB: an ELBSecurityPolicy-TLS13-* policy); Flyte clients refuse anything older', details };
  }
  switch (alertId) {
    case 'handshakeFailure': return { status: 'fail', messageId: 'handshakeFailure', cause: c, message: `${where} aborted the handshake (${alertText}): it found no cipher suite in common, or wants a client certificate`, hint: 'allow the usual TLS 1.2/1.3 cipher suites on the ingress (ingress-nginx ssl-ciphers; ALB security policy); if it requires client certificates (mutual TLS), Flyte clients cannot present one: turn that off for the Flyte host', details };
    case 'unrecognizedName': return { status: 'fail', messageId: 'unrecognizedName', cause: c, message: `${where} has no TLS configuration for the name ${e.host} (${alertText})`, hint: `the ingress/load balancer serves no certificate for ${e.host} (SNI): add the host to the Ingress (ingress host and its TLS hosts) or dial a name it serves`, details };
    case 'clientHelloRejected': { const t = clientHelloAlertText(where, e.host, err.alert!); return { status: 'fail', messageId: 'clientHelloRejected', cause: c, message: t.message, hint: t.hint, details }; }
    case 'clientCertRequired': return { status: 'fail', messageId: 'clientCertRequired', cause: cause.frontAuth(hostPortKey(e.host, e.port)), message: `${where} aborted the handshake with the TLS alert ${clientCertAlertText(err.alert!)}`, hint: 'Flyte clients do not present client certificates: turn off client-certificate verification for the Flyte host (ingress-nginx auth-tls-verify-client: "off"), or put Flyte behind a listener without mTLS', details };
    case 'noApplicationProtocol': return { status: 'fail', messageId: 'noApplicationProtocol', cause: c, message: `${where} refused the offered ALPN protocols h2/http/1.1 (${alertText})`, hint: 'enable HTTP/2 (ALPN h2) on the TLS listener: gRPC needs it (ingress-nginx use-http2: "true"; AWS: an ALB HTTPS listener)', details };
    case 'serverInternalError': return { status: 'fail', messageId: 'serverInternalError', cause: c, message: `${where} failed inside the TLS handshake (${alertText})`, hint: 'the server could not use its certificate or key: check the TLS Secret (tls.crt and tls.key must match) and the ingress controller\'s log', details };
    case 'accessDenied': return { status: 'fail', messageId: 'accessDenied', cause: c, message: `${where} refused the handshake (${alertText})`, hint: 'something in front (WAF, allow-list by source address) rejects this machine: allow it, or run from an allowed network', details };
    default: break;
  }
  if (err.alert) return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} aborted the handshake with ${alertText}, an alert flyte-doctor has no reading for (unrecognised: ${err.alert.name}): ${err.message}`, hint: 'the server rejected the handshake: check its TLS configuration (certificate, key, protocols) and its log', details };
  if (err.kind === 'reset') {
    const what = seen.service ? `; ${describeService(seen.service)} listens there` : '';
    return { status: 'fail', messageId: 'connectionReset', cause: c, message: `${where} accepted the connection but closed it during the TLS handshake${what}`, hint: `a load balancer or proxy that routes TLS by SNI has nothing for ${e.host}, or the port is not the TLS port: check the listener for ${e.host}:${e.port}`, details };
  }
  return { status: 'fail', messageId: 'connectFailed', cause: c, message: `${where}: ${err.message}`, hint: 'check the endpoint host and port', details };
}

/** The first certificate below the root signed with an algorithm clients refuse (SHA-1, MD5), if any. A root's own signature is never checked. */
export function weakSigned(v: TlsView): { subject: string; algorithm: string } | undefined {
  const c = v.probe.chain.find((x, i) => x.weakSignature && !(i > 0 && x.selfIssued));
  return c ? { subject: c.subject, algorithm: c.weakSignature! } : undefined;
}

/** The first certificate below the root with an RSA key under 2048 bits (OpenSSL security level 2 refuses it), if any. */
export function weakKeyCert(v: TlsView): CertInfo | undefined {
  return v.probe.chain.find((c, i) => typeof c.rsaBits === 'number' && c.rsaBits < 2048 && !(i > 0 && c.selfIssued));
}

/** The leaf's names for messages: `flyte.test, localhost, 127.0.0.1` (CN when it has no SAN). */
export function certNames(v: TlsView): string[] {
  const leaf = v.probe.chain[0];
  if (!leaf) return [];
  return leaf.altNames.length ? leaf.altNames.map((n) => n.replace(/^(DNS|IP):/, '')) : leaf.commonName ? [leaf.commonName] : [];
}

/** The ingress host from the values (what the chart renders the Ingress and its certificate for), when there are values. */
export function chartIngressHost(t: Target): string | undefined {
  const src = t.provenance['ingress.host'] ?? '';
  if (!t.ingress?.host || src === '' || /admin\.endpoint|--endpoint|FLYTE_PLATFORM_URL|client endpoint/.test(src)) return undefined;
  return t.ingress.host;
}

export { defaultCertOf };
