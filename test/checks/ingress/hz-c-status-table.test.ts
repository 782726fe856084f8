// The HTTP status space, as a table, against the probes that GET through the ingress (ingress.http.api,
// ingress.http.healthcheck, ingress.http.console, flyte.admin.http): a raw TLS server of our own answers
// each status a proxy, a load balancer, a CDN or a captive portal can send (1xx alone and endless, 2xx
// with wrong bodies, 3xx with and without Location, every 4xx/5xx of the list, nginx's 494-499,
// Cloudflare's 520-530, the ALB's 561). No row may end as `error` or `pass`; each is its own finding,
// or an honest "unrecognised" naming the status. Before: 1xx only was "no answer: a firewall drops TCP";
// an unasked 100/101 was "closed the connection"; 407 was "remove the authentication in front of
// flyteadmin"; 494-497 sent as themselves were unrecognised; 561 was unrecognised; 304 was "a redirect
// to (no Location)"; 406/411/415/425/501/508 had no reading. Port 30300 (helper c).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { ROWS, startRawTls, type Row } from './hz-c-rows.js';

const PORT = 30300;
const IDS = ['ingress.http.api', 'ingress.http.healthcheck', 'ingress.http.console', 'flyte.admin.http'];
let row: Row = ROWS[0]!;
let srv: { stop: () => Promise<void> };
beforeAll(async () => { srv = await startRawTls(PORT, () => row); });
afterAll(async () => { await srv?.stop(); });

// the finding each row must give on every probe (undefined: any finding but error/pass, judged below)
const EXPECT: Record<string, string | RegExp> = {
  '103 then silence': 'answerStalled', 'endless 1xx': 'answerStalled', '100 then 502': 'unrecognised', '101 unrequested': 'unrecognised',
  '304': 'notModified', '307 loop': 'redirected', '303 login': 'frontAuth',
  '401 www-auth': 'frontAuth', '401 bare': 'frontAuth', '403': 'frontAuth', '404': 'notRouted', '405': 'methodRefused',
  '406': 'answerFault', '407': 'proxyCredentials', '408': 'requestTimedOut', '410': 'pathGone', '411': 'answerFault',
  '413': 'requestTooLarge', '414': 'requestTooLarge', '415': 'answerFault', '421': 'misdirected', '425': 'answerFault',
  '426': 'protocolMismatch', '429': 'rateLimited', '431': 'requestTooLarge', '451': 'filteredOut',
  '494': 'requestTooLarge', '495': 'clientCertRequired', '496': 'clientCertRequired', '497': 'plainToTlsUpstream', '499': 'unrecognised',
  '500': 'serverError', '501': 'answerFault', '502': 'backendDown', '503': 'backendDown', '504': 'backendDown', '505': 'protocolMismatch',
  '507': 'unrecognised', '508': 'answerFault', '511': 'networkLogin', '561': 'lbAuthFailed',
  ...Object.fromEntries([520, 521, 522, 523, 524, 525, 526, 530].map((c) => [String(c), 'cdnOrigin'])),
};

describe('every status through the ingress: a finding of its own, never error, never pass', () => {
  for (const r of ROWS) {
    it(`${r.name}`, async () => {
      row = r;
      const slow = r.status < 200;
      const rs = await runMany(IDS, bedTarget(PORT), 'verify', slow ? 7000 : 6000);
      for (const id of IDS) {
        const x = rs.find((y) => y.id === id) as CheckResult;
        expect(x.status, brief(x)).not.toBe('error');
        // flyteadmin's /healthcheck is an empty 200: the one row that is its real answer
        if (r.name === '200 empty' && id === 'ingress.http.healthcheck') continue;
        expect(x.status, brief(x)).not.toBe('pass');
        expect(x.hint, brief(x)).toBeTruthy();
        const want = EXPECT[r.name];
        if (want) expect(x.messageId, brief(x)).toMatch(typeof want === 'string' ? new RegExp(`^${want}$`) : want);
        if (x.messageId === 'unrecognised') expect(x.message, brief(x)).toMatch(r.name.startsWith('100') || r.status < 200 ? /HTTP 10[01]/ : new RegExp(String(r.status)));
        if (r.status === 407) expect(x.hint, brief(x)).not.toMatch(/remove the authentication/);
        if (r.status === 304) expect(x.hint, brief(x)).not.toMatch(/redirect annotations/);
        if (r.status < 200) expect(x.hint, brief(x)).not.toMatch(/firewall/);
        if (r.status === 561) expect(x.hint, brief(x)).toMatch(/authenticate action/);
      }
    }, 30_000);
  }
});
