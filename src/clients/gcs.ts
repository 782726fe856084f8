// GCS probing through @google-cloud/storage 7 (imported lazily): `apiEndpoint` for emulators and
// private endpoints (never STORAGE_EMULATOR_HOST), no automatic retries, every call raced with the
// check's signal. Probe objects share the ledger and prefix rules of src/clients/s3.ts.
import type { Storage } from '@google-cloud/storage';
import type { StorageTarget } from '../config/target.js';
import type { CheckContext } from '../engine/types.js';
import { raceSignal } from './postgres.js';
import { storageKey, type ProbeBucket } from './s3.js';

export function gcsClientFor(ctx: CheckContext): Promise<Storage> {
  const st = ctx.target.storage!;
  return ctx.shared(`gcs:${st.endpoint ?? ''}:${st.projectId ?? ''}:${st.keyFile ?? ''}`, async () => {
    const { Storage } = await import('@google-cloud/storage');
    return new Storage({
      ...(st.endpoint ? { apiEndpoint: st.endpoint } : {}),
      ...(st.projectId ? { projectId: st.projectId } : {}),
      ...(st.authType === 'keyfile' && st.keyFile ? { keyFilename: st.keyFile } : {}),
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: 10_000,
    });
  });
}

export function gcs<T>(ctx: CheckContext, p: Promise<T>): Promise<T> { return raceSignal(p, ctx.signal); }

export interface GcsErr { code?: number; message: string; network?: string }
export function gcsErrorOf(e: unknown): GcsErr {
  const err = e as { code?: number | string; message?: string; cause?: { code?: string } };
  const n = typeof err?.code === 'number' ? err.code : undefined;
  const s = typeof err?.code === 'string' ? err.code : err?.cause?.code;
  return { ...(n ? { code: n } : {}), message: (err?.message ?? String(e)).split('\n')[0]!, ...(s && /^E[A-Z]+/.test(s) ? { network: s } : {}) };
}

/** Outcome for a failed GCS operation; denied permissions named exactly. */
export function gcsOpFailure(st: StorageTarget, bucket: string, op: string, permission: string, e: GcsErr): { status: 'fail'; messageId: string; message: string; hint: string; details: Record<string, string | number> } | undefined {
  const details = { bucket, operation: op, error: e.message, ...(e.code ? { httpStatus: e.code } : {}) };
  const who = st.authType === 'keyfile' ? `the service account of the key file` : 'the Google service account bound to the Flyte Kubernetes service account (Workload Identity)';
  if (e.code === 403 || e.code === 401) {
    const named = /does not have ([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+) access/.exec(e.message)?.[1] ?? permission;
    return { status: 'fail', messageId: 'permissionDenied', message: `${op} on gs://${bucket} denied (${e.code}): missing ${named}`, hint: `grant ${named} on gs://${bucket} to ${who} (e.g. roles/storage.objectAdmin plus storage.buckets.get)`, details: { ...details, permission: named } };
  }
  if (e.code === 404 && op === 'bucket lookup') return { status: 'fail', messageId: 'noSuchBucket', message: `bucket gs://${bucket} does not exist`, hint: `create it (gcloud storage buckets create gs://${bucket}) or fix ${storageKey(st, 'metadataBucket')} / ${storageKey(st, 'userDataBucket')}`, details };
  if (e.network) return { status: 'fail', messageId: 'network', message: `${op} on gs://${bucket} failed: ${e.network} (${e.message})`, hint: `check the GCS endpoint${st.endpoint ? ` ${st.endpoint}` : ''} and the network path`, details };
  return undefined;
}

/** Deferred cleanup for GCS probe objects, mirroring registerS3Cleanup. */
export function registerGcsCleanup(ctx: CheckContext, state: ProbeBucket): void {
  if (state.cleanupRegistered) return;
  state.cleanupRegistered = true;
  const clientP = gcsClientFor(ctx);
  state.deleteCommand = `gcloud storage rm --recursive gs://${state.bucket}/${state.prefix}`;
  ctx.defer(`delete probe objects gs://${state.bucket}/${state.prefix}`, async () => {
    const b = (await clientP).bucket(state.bucket);
    const del = async () => { for (const k of state.keys) await b.file(k).delete({ ignoreNotFound: true }).catch(() => {}); };
    const confirm = async (): Promise<string[] | null> => {
      try {
        const [files] = await b.getFiles({ prefix: state.prefix, maxResults: 100, autoPaginate: false });
        return files.map((f) => f.name).filter((n) => n.startsWith(state.prefix));
      } catch {
        const left: string[] = [];
        for (const k of state.keys) { try { const [ex] = await b.file(k).exists(); if (ex) left.push(k); } catch { return null; } }
        return left;
      }
    };
    await del();
    let left = await confirm();
    if (left?.length) { await new Promise((r) => setTimeout(r, 300)); await del(); left = await confirm(); }
    state.remaining = left;
    if (left === null) throw new Error(`residue unknown: could not confirm gs://${state.bucket}/${state.prefix} is empty; check with: gcloud storage ls gs://${state.bucket}/${state.prefix}`);
    if (left.length) throw new Error(`residue: ${left.map((k) => `gs://${state.bucket}/${k}`).join(', ')} could not be deleted; delete with: ${state.deleteCommand}`);
  });
}
