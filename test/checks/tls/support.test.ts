// Pure pieces of checks/tls/_support.ts and src/clients/tls.ts that the network tests cannot reach
// from this sandbox (every outbound address answers through its egress proxy, so a private address
// that stays silent cannot be staged), plus the TLS alert table.
import { describe, expect, it } from 'vitest';
import { alertOf, TLS_ALERTS } from '../../../src/clients/tls.js';
import { netFailureCause } from '../../../checks/tls/_support.js';
import { isPrivateAddress } from '../../../src/config/endpoints.js';

describe('isPrivateAddress: pod, Service and internal load-balancer networks', () => {
  it.each([['10.96.0.15', true], ['172.20.1.2', true], ['192.168.49.2', true], ['100.64.0.10', true], ['fd12:3456::1', true], ['169.254.169.254', true], ['[fe80::1]', true],
    ['172.32.0.1', false], ['8.8.8.8', false], ['127.0.0.1', false], ['2001:db8::1', false], [undefined, false]] as const)('%s -> %s', (ip, want) => {
    expect(isPrivateAddress(ip)).toBe(want);
  });
});

describe('TLS alerts from OpenSSL/Node errors', () => {
  it('reads the alert number, and the name from error codes without one', () => {
    expect(alertOf(new Error('...:ssl3_read_bytes:sslv3 alert handshake failure:...:SSL alert number 40'))).toEqual({ code: 40, name: 'handshake_failure' });
    expect(alertOf(Object.assign(new Error('x'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }))).toEqual({ code: 116, name: 'certificate_required' });
    expect(alertOf(Object.assign(new Error('x'), { code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME' }))).toEqual({ code: 112, name: 'unrecognized_name' });
    expect(alertOf(new Error('connect ECONNREFUSED'))).toBeUndefined();
    for (const code of [10, 40, 42, 48, 70, 80, 112, 116, 120]) expect(TLS_ALERTS[code]).toBeTruthy();
  });
  it('keys a failed connection like the tls.* checks do', () => {
    const e = { host: 'Flyte.Example.com', port: 443 };
    expect(netFailureCause('nxdomain', e)).toBe('dns:flyte.example.com');
    expect(netFailureCause('timeout', e)).toBe('unreachable:flyte.example.com:443');
    expect(netFailureCause('plaintext', e)).toBe('tls-plaintext:flyte.example.com:443');
    expect(netFailureCause('tlsAlert', e)).toBe('tls-handshake:flyte.example.com:443');
  });
});
