// OCI image tarballs written without any registry or image builder (issue 12, real pods): one layer
// (a tar of a staging directory, root-owned, fixed mtime), the image config, the manifest, index.json
// and oci-layout, packed into a tar that `ctr images import` reads. Two images:
//   - the pause image: the static Go pause program built by ensure-bins.sh (`pause`);
//   - the flyte-doctor image: what deploy/Dockerfile puts in (the `npm pack` files under /opt/package,
//     the entrypoint `/nodejs/bin/node /opt/package/dist/flyte-doctor.mjs`, user 65532, HOME=/tmp), on
//     this machine's Node binary and the shared libraries it links (ldd) instead of the distroless base.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ImageFile { /** path on this machine */ src: string; /** absolute path in the image */ dest: string; mode?: number }
export interface ImageSpec {
  /** Full reference the image is imported as, e.g. docker.io/library/flyte-doctor:0.1.0. */
  ref: string;
  files: ImageFile[];
  /** Extra files by content. */
  content?: { dest: string; text: string; mode?: number }[];
  /** Empty directories (mode). */
  dirs?: { dest: string; mode: number }[];
  entrypoint: string[];
  cmd?: string[];
  user?: string;
  env?: string[];
  workdir?: string;
  labels?: Record<string, string>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes the image as an OCI layout tarball at `out`; returns its manifest digest. */
export function writeOciImage(spec: ImageSpec, out: string): { digest: string; size: number } {
  const work = mkdtempSync(join(tmpdir(), 'fd-oci-'));
  try {
    const root = join(work, 'rootfs');
    mkdirSync(root);
    for (const d of spec.dirs ?? []) { mkdirSync(join(root, d.dest), { recursive: true }); chmodSync(join(root, d.dest), d.mode); }
    for (const f of spec.files) {
      const to = join(root, f.dest);
      mkdirSync(dirname(to), { recursive: true });
      if (statSync(f.src).isDirectory()) cpSync(f.src, to, { recursive: true, dereference: true });
      else copyFileSync(realpathSync(f.src), to);
      if (f.mode !== undefined) chmodSync(to, f.mode);
    }
    for (const c of spec.content ?? []) {
      const to = join(root, c.dest);
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, c.text);
      chmodSync(to, c.mode ?? 0o644);
    }
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const blob = (b: Buffer) => { const d = sha(b); writeFileSync(join(blobs, d), b); return { digest: `sha256:${d}`, size: b.length }; };
    // the layer: root-owned, numeric ids, fixed mtime (reproducible), sorted
    const layerTar = join(work, 'layer.tar');
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', root, '-cf', layerTar, '.']);
    const layer = blob(readFileSync(layerTar));
    const config = blob(Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', created: '1970-01-01T00:00:00Z',
      config: {
        Entrypoint: spec.entrypoint, ...(spec.cmd ? { Cmd: spec.cmd } : {}), ...(spec.user ? { User: spec.user } : {}),
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/nodejs/bin', ...(spec.env ?? [])],
        ...(spec.workdir ? { WorkingDir: spec.workdir } : {}), ...(spec.labels ? { Labels: spec.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'test/infra/oci-image.ts' }],
    })));
    const manifest = blob(Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    })));
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': spec.ref, 'org.opencontainers.image.ref.name': spec.ref.slice(spec.ref.lastIndexOf(':') + 1) },
      }],
    }));
    mkdirSync(dirname(out), { recursive: true });
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', layout, '-cf', out, '.']);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The shared libraries `bin` links (ldd), as image files at the same paths, plus the dynamic loader. */
export function sharedLibraries(bin: string): ImageFile[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  const files: ImageFile[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) files.push({ src: m[1]!, dest: m[1]! });
  }
  return files;
}

const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n';

/** The pause image from the static pause program. */
export function pauseImageSpec(pauseBin: string, ref: string): ImageSpec {
  return { ref, files: [{ src: pauseBin, dest: '/pause', mode: 0o755 }], entrypoint: ['/pause'], user: '65535:65535' };
}

/**
 * The flyte-doctor image as deploy/Dockerfile builds it, from this checkout: the files `npm pack`
 * would ship (package.json "files": dist, docs, reports, ...) under /opt/package, this machine's node
 * at /nodejs/bin/node (the distroless path) with its libraries, /etc/passwd with nonroot (65532).
 */
export function flyteDoctorImageSpec(repo: string, ref: string, nodeBin = process.execPath): ImageSpec {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[]; version: string }[];
  const files: ImageFile[] = packed[0]!.files.map((f) => ({ src: join(repo, f.path), dest: `/opt/package/${f.path}` }));
  const version = packed[0]!.version;
  return {
    ref,
    files: [{ src: nodeBin, dest: '/nodejs/bin/node', mode: 0o755 }, ...sharedLibraries(nodeBin), ...files],
    content: [{ dest: '/etc/passwd', text: PASSWD }, { dest: '/etc/group', text: GROUP }],
    dirs: [{ dest: '/tmp', mode: 0o1777 }, { dest: '/home/nonroot', mode: 0o755 }],
    entrypoint: ['/nodejs/bin/node', '/opt/package/dist/flyte-doctor.mjs'], cmd: ['--help'],
    user: '65532:65532', env: ['HOME=/tmp', 'NODE_ENV=production'], workdir: '/tmp',
    labels: { 'org.opencontainers.image.title': 'flyte-doctor', 'org.opencontainers.image.version': version },
  };
}
