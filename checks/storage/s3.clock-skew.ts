import { HttpProbeError, httpProbe } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';
import { effectiveEndpoint, shownEndpoint } from '../../src/flyte/storage.js';
import { CANNOT_PROBE, notCheckedHere, skewStatus } from './_support.js';

export default defineCheck({
  id: 'storage.s3.clock-skew',
  title: 'This machine\'s clock agrees with the object store\'s',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.endpoint'],
  writes: 'none',
  messages: {
    inSync: { status: 'pass', summary: 'The clocks agree within a minute.' },
    skew: { status: 'warn', summary: 'The clocks differ by more than a minute (signed URLs expire early or late).' },
    skewTooLarge: { status: 'fail', summary: 'The clocks differ by more than S3\'s 15 minutes: every signed request fails with RequestTimeTooSkewed.' },
    noDate: { status: 'skip', summary: 'The endpoint sent no usable Date header, so the skew could not be measured.' },
    noAnswer: { status: 'skip', summary: 'The endpoint did not answer this request (storage.s3.endpoint reports the endpoint).' },
    notCheckedHere: { status: 'skip', summary: 'The endpoint cannot be reached from this machine (cluster-internal).' },
  },
  explain: {
    what: 'Compares the `Date` header of the endpoint\'s answer with the local clock (half the round trip accounted for).',
    why: 'S3 rejects requests signed more than 15 minutes off (RequestTimeTooSkewed); signed URLs expire early or late.',
    fix: 'Synchronise the clocks (NTP/chrony) of this machine, the nodes and the object store.',
  },
  async run(ctx): Promise<Outcome<'inSync' | 'skew' | 'skewTooLarge' | 'noDate' | 'noAnswer' | 'notCheckedHere'>> {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const url = effectiveEndpoint(ctx.target.storage!);
    const shown = shownEndpoint(ctx.target.storage!);
    const t0 = ctx.clock.now();
    let r;
    try {
      r = await httpProbe(url, { method: 'HEAD', ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      return { status: 'skip', messageId: 'noAnswer', message: `${shown} did not answer the clock probe (${e.message}); clock skew not measured`, details: { endpoint: shown, kind: e.kind } };
    }
    const t1 = ctx.clock.now();
    const date = r.headers.date;
    if (!date || Number.isNaN(Date.parse(date))) {
      return { status: 'skip', messageId: 'noDate', message: `${shown} sent no usable Date header; clock skew not measured`, details: { endpoint: shown } };
    }
    const skew = Date.parse(date) - (t0 + t1) / 2;
    const s = skewStatus(skew);
    const secs = Math.round(skew / 1000);
    const details = { endpoint: shown, serverDate: date, localTime: new Date((t0 + t1) / 2).toISOString(), skewSeconds: secs, roundTripMs: t1 - t0 };
    const dir = skew > 0 ? 'behind' : 'ahead of';
    if (s === 'fail') return { status: 'fail', messageId: 'skewTooLarge', cause: cause.config('clock'), message: `local clock is ${Math.abs(secs)} s ${dir} the object store (over S3's 15-minute limit: requests fail with RequestTimeTooSkewed)`, hint: 'synchronise the clocks with NTP (e.g. `chronyc makestep`, `timedatectl set-ntp true`)', details };
    if (s === 'warn') return { status: 'warn', messageId: 'skew', cause: cause.config('clock'), message: `local clock is ${Math.abs(secs)} s ${dir} the object store`, hint: 'synchronise the clocks with NTP (e.g. `timedatectl set-ntp true`)', details };
    return { status: 'pass', messageId: 'inSync', message: `clock within ${Math.max(1, Math.abs(secs))} s of the object store`, details };
  },
});
