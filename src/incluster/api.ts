// A small read-write Kubernetes client for the --in-cluster launcher and the in-pod report sink.
// src/clients/kube.ts is read-only by construction (the checks never write); the launcher has to
// create and delete its Job, ConfigMaps, Secret, Role and RoleBinding, and the pod has to write its
// report, so they use this one. Same kubeconfig module (kubectl's merge and context selection).
// Credentials: token, tokenFile (re-read every minute: the kubelet rotates projected tokens), basic
// auth, client certificate/key (data or file), exec credential plugins (client.authentication.k8s.io
// v1/v1beta1: token or client certificate), CA (data or file), insecure-skip-tls-verify,
// tls-server-name, impersonation (as, as-groups). Not supported here: auth-provider (removed from
// kubectl 1.26) and proxy-url (say so; the checks' client supports both).
// Evidence only: every failure is an ApiError with status, reason and the server's message (scrubbed
// of the credentials this client knows).
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest, Agent } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubernetesTarget } from '../config/target.js';
import { readKubeFile, readMergedKubeconfig, selectContext, kubeconfigFileList } from '../config/kubeconfig.js';

/** After an exec plugin exits, how long its output may take to end (a process it started may hold the pipe). */
export const EXEC_GRACE_MS = 500;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(message: string, readonly status: number, readonly reason?: string, readonly request?: string) { super(message); }
}

export interface Api {
  /** The user the kubeconfig context names (for messages). */
  readonly user: string;
  readonly server: string;
  call<T = any>(method: string, path: string, body?: unknown, o?: { signal?: AbortSignal; timeoutMs?: number; contentType?: string }): Promise<T>;
  /** GET; undefined on 404. */
  getOptional<T = any>(path: string, o?: { signal?: AbortSignal; timeoutMs?: number }): Promise<T | undefined>;
  /** DELETE; true when deleted or already gone (404). */
  remove(path: string, o?: { signal?: AbortSignal; timeoutMs?: number }): Promise<boolean>;
  scrub(text: string): string;
  close(): void;
}

function pem(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data.replace(/\s+/g, ''), 'base64');
  if (file) return Buffer.from(readKubeFile(file, file, 2 ** 20));
  return undefined;
}

/** Opens the target's kubeconfig (files, context) for reading and writing. Throws Error with a one-line reason. */
export function openApi(k: KubernetesTarget, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Api {
  const files = k.kubeconfigFiles?.length ? k.kubeconfigFiles : k.kubeconfigPath ? kubeconfigFileList(k.kubeconfigPath, cwd) : [];
  if (!files.length) throw new Error('no kubeconfig (pass --kubeconfig, set KUBECONFIG, or run inside a pod)');
  const sel = selectContext(readMergedKubeconfig(files), k.context);
  const { cluster, user } = sel;
  if (user.authProvider) throw new Error(`user "${user.name}" uses the auth-provider "${user.authProvider.name}", which the --in-cluster launcher does not support (kubectl removed it in 1.26: use an exec plugin or a token)`);
  if (cluster.proxyUrl) throw new Error(`cluster "${cluster.name}" sets proxy-url, which the --in-cluster launcher does not support yet`);
  const url = new URL(cluster.server!);
  const isHttps = url.protocol === 'https:';
  const secrets = new Set<string>();
  const keep = (s: string | undefined) => { if (s && s.length >= 4) secrets.add(s); return s; };
  keep(user.token); keep(user.password);
  let agent: Agent | undefined;
  let execCred: { token?: string; cert?: string; key?: string; expires?: number } | undefined;
  let fileTok: { v: string; at: number } | undefined;
  const tokenFromFile = () => {
    if (!user.tokenFile) return undefined;
    if (fileTok && Date.now() - fileTok.at < 60_000) return fileTok.v;
    const v = readKubeFile(user.tokenFile, user.tokenFile, 2 ** 20).trim();
    keep(v);
    fileTok = { v, at: Date.now() };
    return v;
  };
  // The plugin runs in a process group of its own: at the time limit or on Ctrl-C the whole group is
  // killed (a `sh -c` wrapper's children included), and nothing it started outlives the run. A plugin
  // that exits while a process it started keeps its stdout open (`daemon & echo {...}`) would make
  // the read wait for that process (execFile waits for the pipes to close, also after a kill): once
  // the plugin has exited, its output gets a short grace, then it is judged on what it printed.
  const runExec = (budgetMs: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
    const ex = user.exec!;
    const info = { apiVersion: ex.apiVersion ?? 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } };
    const childEnv: NodeJS.ProcessEnv = { ...env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
    for (const e of ex.env) childEnv[e.name] = e.value;
    const shown = `exec credential plugin \`${ex.command}\``;
    if (signal?.aborted) return reject(new Error(`${shown} was not run: interrupted`));
    let child: ChildProcess;
    try {
      child = spawn(ex.command, ex.args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (e) {
      return reject(new Error(`${shown} failed: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : (e as Error).message.split('\n')[0]}`));
    }
    let out = '', errText = '', settled = false, exited = false;
    let held: NodeJS.Timeout | undefined;
    const killGroup = () => {
      if (exited) return;
      try { if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL'); else child.kill('SIGKILL'); } catch { /* already gone */ }
    };
    const finish = (e?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer); clearTimeout(held); signal?.removeEventListener('abort', onAbort);
      child.stdout!.destroy(); child.stderr!.destroy();
      if (e) { killGroup(); return reject(e); }
      try {
        const st = (JSON.parse(out) as { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } }).status ?? {};
        execCred = { ...(st.token ? { token: keep(st.token)! } : {}), ...(st.clientCertificateData ? { cert: st.clientCertificateData } : {}), ...(st.clientKeyData ? { key: keep(st.clientKeyData)! } : {}), ...(st.expirationTimestamp ? { expires: Date.parse(st.expirationTimestamp) } : {}) };
        agent?.destroy(); agent = undefined;
        resolve();
      } catch { reject(new Error(`${shown} did not print an ExecCredential`)); }
    };
    const timer = setTimeout(() => finish(new Error(`${shown} did not finish within ${Math.round(budgetMs / 100) / 10}s (it may be waiting for an interactive login); it was stopped`)), Math.max(1, budgetMs));
    const onAbort = () => finish(new Error(`${shown} was stopped: interrupted`));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (out.length < 2 ** 20) out += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (errText.length < 64 * 1024) errText += d; });
    child.on('error', (e: NodeJS.ErrnoException) => finish(new Error(`${shown} failed: ${e.code === 'ENOENT' ? 'not found on PATH' : e.message.split('\n')[0]}`)));
    const judge = (code: number | null, sig: NodeJS.Signals | null, heldOpen: boolean) => {
      if (code !== 0) return finish(new Error(`${shown} failed: exited with ${code ?? sig}${errText.trim() ? `: ${scrub(errText.trim().split('\n').slice(-3).join(' | ')).slice(0, 300)}` : ''}`));
      // kubectl waits for the output to end (and hangs); here the output it printed is used when it is
      // complete, and the process holding the pipe is left alone (it may be the plugin's own cache agent).
      if (heldOpen) { try { JSON.parse(out); } catch { return finish(new Error(`${shown} exited, but a process it started still holds its standard output open ${EXEC_GRACE_MS} ms later (kubectl waits for that output to end and hangs)`)); } }
      finish();
    };
    child.on('exit', (code, sig) => { exited = true; held = setTimeout(() => judge(code, sig, true), EXEC_GRACE_MS); });
    child.on('close', (code, sig) => judge(code, sig, false));
  });
  const makeAgent = () => {
    const key = execCred?.key ? Buffer.from(execCred.key) : pem(user.clientKeyData, user.clientKey);
    if (key) keep(key.toString('utf8'));
    return new Agent({
      keepAlive: true,
      ...(pem(cluster.certificateAuthorityData, cluster.certificateAuthority) ? { ca: pem(cluster.certificateAuthorityData, cluster.certificateAuthority)! } : {}),
      ...(execCred?.cert ? { cert: Buffer.from(execCred.cert) } : pem(user.clientCertificateData, user.clientCertificate) ? { cert: pem(user.clientCertificateData, user.clientCertificate)! } : {}),
      ...(key ? { key } : {}),
      rejectUnauthorized: !cluster.insecureSkipTlsVerify,
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    });
  };
  const scrub = (t: string) => { let s = t; for (const x of secrets) s = s.split(x).join('***'); return s; };

  async function raw(method: string, path: string, body: unknown, o: { signal?: AbortSignal; timeoutMs?: number; contentType?: string }): Promise<{ status: number; json: any; text: string }> {
    const timeoutMs = o.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    if (user.exec && (!execCred || (execCred.expires !== undefined && execCred.expires < Date.now() + 10_000))) await runExec(Math.min(30_000, timeoutMs), o.signal);
    if (isHttps) agent ??= makeAgent();
    const headers: Record<string, string | string[]> = { accept: 'application/json', 'user-agent': 'flyte-doctor (in-cluster launcher)' };
    const bearer = execCred?.token ?? tokenFromFile() ?? user.token;
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    else if (user.username !== undefined || user.password !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    if (user.impersonate) headers['impersonate-user'] = user.impersonate;
    if (user.impersonateGroups?.length) headers['impersonate-group'] = user.impersonateGroups;
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (data) { headers['content-type'] = o.contentType ?? 'application/json'; headers['content-length'] = String(data.length); }
    const target = new URL(url.pathname.replace(/\/$/, '') + path, url);
    const left = Math.max(1, deadline - Date.now());
    return new Promise((resolve, reject) => {
      // The socket's idle timeout never fires on an answer that trickles in (a byte a second): the
      // whole request, body included, is bounded too.
      const total = setTimeout(() => {
        const e = Object.assign(new Error(`${method} ${path.split('?')[0]}: ${answered ? `${cluster.server} answered HTTP ${answered}, but its body did not end` : `no answer from ${cluster.server}`} within ${Math.round(timeoutMs / 100) / 10}s`), { code: 'ETIMEDOUT' });
        reject(e); req.destroy(e);
      }, left);
      let answered = 0;
      const req = (isHttps ? httpsRequest : httpRequest)(target, { method, headers, ...(isHttps ? { agent } : {}), ...(o.signal ? { signal: o.signal } : {}), timeout: left }, (res) => {
        answered = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= 8 * 2 ** 20) chunks.push(c); });
        res.on('error', (e) => { clearTimeout(total); reject(new Error(scrub(`${method} ${path.split('?')[0]}: ${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim()))); });
        res.on('end', () => {
          clearTimeout(total);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`${method} ${path.split('?')[0]}: no answer from ${cluster.server} within ${Math.round(timeoutMs / 100) / 10}s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => { clearTimeout(total); reject(new Error(scrub(`${method} ${path.split('?')[0]}: ${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim()))); });
      req.end(data);
    });
  }

  const api: Api = {
    user: user.name || '(anonymous)',
    server: cluster.server!,
    async call(method, path, body, o = {}) {
      let r = await raw(method, path, body, o);
      if (r.status === 401 && user.exec) { execCred = undefined; r = await raw(method, path, body, o); }
      if (r.status < 200 || r.status >= 300) {
        const st = r.json && typeof r.json === 'object' && r.json.kind === 'Status' ? r.json : undefined;
        const msg = scrub(String(st?.message ?? r.text.slice(0, 300)).replace(/\s+/g, ' ').trim());
        throw new ApiError(`${method} ${path.split('?')[0]}: HTTP ${r.status}${msg ? `: ${msg}` : ''}`, r.status, typeof st?.reason === 'string' ? st.reason : undefined, `${method} ${path.split('?')[0]}`);
      }
      if (r.json === undefined && r.text) throw new ApiError(`${method} ${path.split('?')[0]}: HTTP ${r.status} with a body that is not JSON`, r.status);
      return r.json;
    },
    async getOptional(path, o = {}) {
      try { return await api.call('GET', path, undefined, o); } catch (e) { if (e instanceof ApiError && e.status === 404) return undefined; throw e; }
    },
    async remove(path, o = {}) {
      try { await api.call('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }, o); return true; } catch (e) { if (e instanceof ApiError && e.status === 404) return true; throw e; }
    },
    scrub,
    close() { agent?.destroy(); },
  };
  return api;
}
