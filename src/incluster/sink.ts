// The pod side of `--in-cluster`: the run's JSON report (already redacted) is written, gzip + base64,
// into the ConfigMap the launcher created ($FLYTE_DOCTOR_REPORT_CONFIGMAP, in the pod's namespace),
// with the pod's own service-account token: the Role the launcher created allows exactly that.
// Pod logs truncate; an API object does not. A write that fails is said on stderr and in the
// container's termination message (/dev/termination-log, or $FLYTE_DOCTOR_TERMINATION_LOG), which
// the kubelet copies into the pod status where the launcher reads it.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Target } from '../config/target.js';
import { openApi } from './api.js';
import { REPORT_ENV, REPORT_KEY } from './objects.js';

export function reportSinkName(env: NodeJS.ProcessEnv): string | undefined {
  const v = env[REPORT_ENV];
  return v && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) ? v : undefined;
}

/** Writes the report; returns undefined on success, else the one-line reason (also in the termination message). */
export async function writePodReport(target: Target, json: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const name = reportSinkName(env);
  if (!name) return `${REPORT_ENV} is not a ConfigMap name`;
  const ns = target.runtime?.podNamespace;
  let reason: string | undefined;
  if (!target.inCluster || !ns) reason = `${REPORT_ENV} is set but this process does not run in a pod (no service-account token): the report stays on stdout`;
  else {
    try {
      const api = openApi(target.kubernetes, env);
      try {
        const data = gzipSync(Buffer.from(json)).toString('base64');
        await api.call('PATCH', `/api/v1/namespaces/${ns}/configmaps/${name}`, { data: { [REPORT_KEY]: data } }, { contentType: 'application/merge-patch+json', timeoutMs: 15_000 });
      } finally { api.close(); }
    } catch (e) {
      reason = `could not write the report to ConfigMap ${ns}/${name} as ${target.runtime?.ranAt ?? 'this pod'}: ${(e as Error)?.message ?? String(e)}`;
    }
  }
  if (reason) {
    try { writeFileSync(env['FLYTE_DOCTOR_TERMINATION_LOG'] || '/dev/termination-log', `${reason}\n`); } catch { /* not in a container */ }
  }
  return reason;
}
