// Builds the flyte-doctor image as an OCI image tarball WITHOUT docker or a registry: what
// deploy/Dockerfile puts in (the `npm pack` files under /opt/package, entrypoint
// /nodejs/bin/node /opt/package/dist/flyte-doctor.mjs, user 65532), on THIS machine's Node binary and
// the shared libraries it links (so the node's distribution must be compatible with this machine's
// glibc: fine for a local kind/minikube/containerd node, not a substitute for the Dockerfile's pinned
// distroless base in production). The real-pod test builds its image the same way.
//
//   npm run build
//   npx tsx scripts/build-image.ts [--ref docker.io/library/flyte-doctor:<version>] [--out flyte-doctor.oci.tar]
// then, on the node (no registry needed; pods use imagePullPolicy IfNotPresent):
//   ctr -n k8s.io images import flyte-doctor.oci.tar        # containerd
//   kind load image-archive flyte-doctor.oci.tar            # kind
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flyteDoctorImageSpec, writeOciImage } from '../test/infra/oci-image.js';

const repo = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const version = (JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8')) as { version: string }).version;
const ref = opt('--ref') ?? `docker.io/library/flyte-doctor:${version}`;
const out = resolve(opt('--out') ?? 'flyte-doctor.oci.tar');
if (!existsSync(resolve(repo, 'dist', 'flyte-doctor.mjs'))) {
  process.stderr.write('dist/flyte-doctor.mjs is missing: run `npm run build` first\n');
  process.exit(2);
}
const t0 = Date.now();
const m = writeOciImage(flyteDoctorImageSpec(repo, ref), out);
process.stdout.write(`wrote ${out}: ${ref} (manifest ${m.digest}) in ${Date.now() - t0} ms\n`);
