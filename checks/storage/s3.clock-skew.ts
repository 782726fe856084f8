import { effectiveEndpoint, httpProbe, skewStatus } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

export default defineCheck({
  id: 'storage.s3.clock-skew',
  title: 'This machine\'s clock agrees with the object store\'s',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.endpoint'],
  writes: 'none',
  explain: {
    what: 'Compares the `Date` header of the endpoint\'s answer with the local clock (half the round trip accounted for).',
    why: 'S3 rejects requests signed more than 15 minutes off (RequestTimeTooSkewed); signed URLs expire early or late.',
    fix: 'Synchronise the clocks (NTP/chrony) of this machine, the nodes and the object store.',
  },
  async run(ctx) {
    const url = effectiveEndpoint(ctx.target.storage!);
    const t0 = ctx.clock.now();
    const r = await httpProbe(url, { method: 'HEAD', ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
    const t1 = ctx.clock.now();
    const date = r.headers.date;
    if (!date || Number.isNaN(Date.parse(date))) {
      return { status: 'skip', messageId: 'noDate', message: `${url} sent no usable Date header; clock skew not measured`, details: { endpoint: url } };
    }
    const skew = Date.parse(date) - (t0 + t1) / 2;
    const s = skewStatus(skew);
    const secs = Math.round(skew / 1000);
    const details = { endpoint: url, serverDate: date, localTime: new Date((t0 + t1) / 2).toISOString(), skewSeconds: secs, roundTripMs: t1 - t0 };
    const dir = skew > 0 ? 'behind' : 'ahead of';
    if (s === 'fail') return { status: 'fail', messageId: 'skewTooLarge', message: `local clock is ${Math.abs(secs)} s ${dir} the object store (over S3's 15-minute limit: requests fail with RequestTimeTooSkewed)`, hint: 'synchronise the clocks with NTP (e.g. `chronyc makestep`, `timedatectl set-ntp true`)', details };
    if (s === 'warn') return { status: 'warn', messageId: 'skew', message: `local clock is ${Math.abs(secs)} s ${dir} the object store`, hint: 'synchronise the clocks with NTP (e.g. `timedatectl set-ntp true`)', details };
    return { status: 'pass', messageId: 'inSync', message: `clock within ${Math.max(1, Math.abs(secs))} s of the object store`, details };
  },
});
