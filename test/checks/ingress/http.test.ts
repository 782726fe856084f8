import { beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from './private-bed.js';

beforeAll(warmUp, 60_000);

describe('ingress.http.*', () => {
  it("ingress.http.healthcheck: 200 through nginx", async () => {
    const { result } = await run('ingress.http.healthcheck', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
  });
  it("ingress.http.console: HTML console page", async () => {
    const { result } = await run('ingress.http.console', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(String(result.details?.contentType)).toContain('text/html');
  });
  it("ingress.http.api: a path nginx does not route is a 404 from the ingress", async () => {
    const t = bedTarget(bed().nginx.https);
    t.ingress!.httpUrl = `https://flyte.test:${bed().nginx.https}/prefix`;
    const { result } = await run('ingress.http.api', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('notRouted');
    expect(result.hint).toContain('/api');
  });
});
