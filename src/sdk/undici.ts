// undici as flyte-doctor uses it: an Agent and the request API, loaded from the files that define
// them. undici's index loads everything it offers when required (fetch, WebSocket, EventSource,
// the cache and mock layers): ~10 ms of every verify for code no check uses. The bundle of the undici
// group (dist/sdk/undici.cjs, scripts/build.mjs) is built from this file; the deep paths are bundled
// at build time from the locked version, and test/checks/ingress tests drive them against nginx.
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
// @ts-expect-error undici ships types for its index only
import AgentImpl from 'undici/lib/dispatcher/agent.js';
// @ts-expect-error undici ships types for its index only
import requestImpl from 'undici/lib/api/api-request.js';

export const Agent = AgentImpl as typeof UndiciAgent;

/** undici's request(url, { dispatcher, ... }) (its index's makeDispatcher for a URL and options, without the global dispatcher). */
export function request(url: string, opts: { dispatcher: Dispatcher } & Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData> {
  const u = new URL(url);
  return (requestImpl as (this: Dispatcher, o: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(opts.dispatcher, {
    ...opts, origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname, method: opts.method ?? 'GET',
  });
}
