// The file `bin` points to. A bare `--version` or `--help` is answered from text captured at build
// time, without loading (compiling) the CLI at all; everything else runs the CLI (dist/cli.cjs), and
// the SDK bundles it requires (dist/sdk/*.cjs), through a V8 code cache.
//
// The code cache: V8's bytecode of each bundle, taken at the end of a run (so it holds every function
// that run compiled, not only the top level), and given back to V8 on the next run, which then skips
// parsing and compiling that code: ~0.25 s of a preflight on Node 20, which has no compile cache
// for ES modules (Node's own module.enableCompileCache() is Node >= 22.1). The bundles are CommonJS for
// this (vm.Script takes cachedData; an ES module cannot on Node 20). One cache per build, Node version
// and architecture, in ${NODE_COMPILE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/flyte-doctor/v8}, a directory
// only this user can write (V8 trusts what it is given); none when that is not so.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for any Node program. FLYTE_DOCTOR_DEBUG=1 says on
// stderr what was loaded and whether its cache was used.
declare const __FLYTE_DOCTOR_VERSION__: string;
declare const __FLYTE_DOCTOR_HELP__: string;
declare const __FLYTE_DOCTOR_BUILD_ID__: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${__FLYTE_DOCTOR_VERSION__}\n`);
else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) process.stdout.write(__FLYTE_DOCTOR_HELP__);
else await runCli();

async function runCli(): Promise<void> {
  const [fs, { createRequire }, path, os, { fileURLToPath }, vm, v8] = await Promise.all([
    import('node:fs'), import('node:module'), import('node:path'), import('node:os'), import('node:url'), import('node:vm'), import('node:v8'),
  ]);
  const env = process.env;
  const debug = (s: string) => { if (env['FLYTE_DOCTOR_DEBUG']) process.stderr.write(`flyte-doctor: ${s}\n`); };
  liftoffOnly(v8, debug);
  youngGeneration(v8, debug);
  const dist = path.dirname(fileURLToPath(import.meta.url));
  // the command decides which functions a run compiles: a cache per command holds what that command needs
  const command = ['preflight', 'verify'].find((c) => args.includes(c)) ?? 'other';
  const base = env['NODE_COMPILE_CACHE'] || path.join(env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'flyte-doctor', 'v8');
  const cacheDir = ((): string | undefined => {
    if (env['NODE_DISABLE_COMPILE_CACHE']) return undefined;
    const dir = path.join(base, `${__FLYTE_DOCTOR_BUILD_ID__}-${process.version}-${process.arch}`);
    // a relative HOME or XDG_CACHE_HOME would scatter caches in whatever directory the run starts in
    if (!path.isAbsolute(base)) { debug(`code cache off: ${base} is not an absolute path`); return undefined; }
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = fs.statSync(dir);
      // V8 runs the bytecode it is given: only a directory this user owns and nobody else can write
      if (st.isDirectory() && (st.mode & 0o022) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid())) return dir;
      debug(`code cache off: ${dir} is writable by others or not this user's`);
    } catch (e) { debug(`code cache off: ${(e as Error).message}`); }
    return undefined;
  })();
  const toWrite: { file: string; script: import('node:vm').Script; rejected: boolean }[] = [];
  // the plugin modules src/plugins.ts loads are ES modules: imported here, where import() is native
  (globalThis as { __flyteDoctorImport?: (u: string) => Promise<unknown> }).__flyteDoctorImport = (u) => import(u);

  const load = (file: string): unknown => {
    const name = path.relative(dist, file);
    const cacheFile = cacheDir && path.join(cacheDir, `${name.replace(/[/\\]/g, '_')}.${name === 'cli.cjs' ? command : 'all'}.cache`);
    const t0 = performance.now();
    let cachedData: Buffer | undefined;
    if (cacheFile) try { cachedData = fs.readFileSync(cacheFile); } catch { /* first run: no cache yet */ }
    // esbuild writes ASCII only (scripts/build.mjs checks): latin1 is the cheapest decoding
    let src = fs.readFileSync(file, 'latin1');
    if (src.startsWith('#!')) src = `//${src.slice(2)}`;
    const t1 = performance.now();
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${src}\n})`, { filename: file, cachedData });
    const t2 = performance.now();
    const state = !cacheFile ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
    if (cacheFile && state !== 'hit') toWrite.push({ file: cacheFile, script, rejected: state === 'rejected' });
    const mod = { exports: {} as unknown };
    const realRequire = createRequire(file);
    const req = Object.assign((id: string) => (/^\.\/sdk\/[a-z]+\.cjs$/.test(id) ? (loaded.get(id) ?? loaded.set(id, load(path.join(dist, id))).get(id)) : realRequire(id)), realRequire);
    (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
    // (for cli.cjs, "run" is its top level and the synchronous start of the command)
    debug(`loaded ${name} (code cache ${state}): read ${(t1 - t0).toFixed(0)} ms, compile ${(t2 - t1).toFixed(0)} ms, run ${(performance.now() - t2).toFixed(0)} ms`);
    return mod.exports;
  };
  const loaded = new Map<string, unknown>();
  // Taken at exit: the cache then holds every function this run compiled. Writing it costs ~0.1-0.2 s
  // at exit, so it is written from the second run on this machine: a machine that runs flyte-doctor
  // once (a fresh CI container) never pays for a cache it would not use. A rejected cache is
  // rewritten at once.
  process.once('exit', () => {
    if (!cacheDir || !toWrite.length) return;
    const seen = path.join(cacheDir, 'seen');
    if (!fs.existsSync(seen) && !toWrite.some((w) => w.rejected)) {
      try { fs.writeFileSync(seen, '', { mode: 0o600 }); } catch { /* the next run tries again */ }
      debug('code cache not written: the first run here (written from the second run on)');
      return;
    }
    for (const { file, script } of toWrite) {
      const tmp = `${file}.${process.pid}.tmp`;
      try { fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 }); fs.renameSync(tmp, file); }
      catch { try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to undo */ } }
    }
    pruneOtherBuilds();
  });
  // Every build (an upgrade, another Node) gets its own directory of ~5 MB: when this one is written,
  // only the KEEP most recently used others stay. Only directories named like ours are touched, and
  // in them only the files the launcher writes (a directory holding anything else stays).
  const KEEP = 3;
  function pruneOtherBuilds(): void {
    try {
      const mine = path.basename(cacheDir!);
      const others = fs.readdirSync(base).filter((d) => d !== mine && /^[0-9a-f]{16}-v\d+\.\d+\.\d+-[a-z0-9]+$/.test(d))
        .map((d) => { const p = path.join(base, d); try { const st = fs.lstatSync(p); return st.isDirectory() ? { p, t: st.mtimeMs } : undefined; } catch { return undefined; } })
        .filter((x): x is { p: string; t: number } => !!x)
        .sort((a, b) => b.t - a.t);
      for (const { p } of others.slice(KEEP)) {
        try {
          for (const f of fs.readdirSync(p)) if (f === 'seen' || /\.cache(\.\d+\.tmp)?$/.test(f)) fs.rmSync(path.join(p, f), { force: true });
          fs.rmdirSync(p);
        } catch { /* in use, or not only ours: left as it is */ }
      }
    } catch { /* pruning is best effort */ }
  }
  load(path.join(dist, 'cli.cjs'));
}

// undici parses HTTP/1.1 with llhttp compiled to WebAssembly. V8 compiles it with Liftoff (its
// baseline WebAssembly compiler) and, once the parser has run a few times, again with TurboFan on a
// background thread, which goes on until the process exits: a `verify` then peaks ~20-35 MB higher
// (that thread's malloc arena; peak RSS 132 -> 98 MB on Node 20, 118 -> 106 on 22, 133 -> 110 on 24)
// and spends CPU on the second core (the one the servers under test answer on) for a parser that
// reads a few dozen small answers. Liftoff alone is enough. `--liftoff-only` would say so but only
// takes effect at Node's start (V8 applies its implications once); these two flags are what it
// implies and are read when a module is compiled. Set before any bundle is compiled: V8 keys its
// code cache on the flags, so the cache is written and read under the same ones. Only on the Node
// majors where the flags are known to exist (tested on 20, 22, 24, 26: a V8 without one prints an
// error, it does not throw); a tiering flag given on node's command line keeps what it says (V8
// flags like these are not allowed in NODE_OPTIONS).
// (A function declaration, not a module-level const: the module's top level awaits runCli() above.)
function liftoffOnly(v8: typeof import('node:v8'), debug: (s: string) => void): void {
  const WASM_FLAGS = ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];
  const major = Number(process.versions.node.split('.')[0]);
  const given = process.execArgv.some((a) => /^--(no-)?(liftoff-only|wasm-tier-up|wasm-dynamic-tiering)(=|$)/.test(a.replace(/_/g, '-')));
  if (major < 20 || major > 26 || given) { debug(`WebAssembly: V8's default tiering (${given ? 'a WebAssembly flag was given to Node' : `Node ${major} is not one the flags were tested on`})`); return; }
  for (const f of WASM_FLAGS) v8.setFlagsFromString(f);
  debug(`WebAssembly: Liftoff only (${WASM_FLAGS.join(' ')}: no TurboFan tier-up of undici's HTTP parser)`);
}

// V8's young generation starts at 1 MB (a semi-space) and doubles at each scavenge that finds it too
// small. A run allocates ~30 MB in its first 0.3 s, so on Node 20 and 22 it scavenges five times
// before the young generation fits, and the objects those early scavenges promote bring a full
// mark-compact later (--trace-gc: 9 collections, ~23 ms, in a healthy verify). A growth factor of 8
// reaches that size after the first scavenge: 4-5 collections, no mark-compact. Measured paired on
// the test bed (cmp of the same build with and without, medians of 10-14 rounds): Node 20 preflight
// 359 -> 347 ms, verify 496 -> 473 ms; Node 22 303 -> 286, 429 -> 407 (430 -> 414 again); peak RSS
// +4-5 MB. On Node 24 the verify was 8-17 ms slower (its young generation grows past 100 MB
// committed late in the run), so it keeps V8's default there and on later majors. Read by V8 at
// each scavenge, so setting it at run time takes effect (unlike the semi-space sizes, which are
// fixed when the heap is made). Not set when node's command line sets a young-generation flag.
function youngGeneration(v8: typeof import('node:v8'), debug: (s: string) => void): void {
  const YOUNG_FLAG = '--semi-space-growth-factor=8';
  const major = Number(process.versions.node.split('.')[0]);
  const given = process.execArgv.some((a) => /^--(semi-space|min-semi-space|max-semi-space)/.test(a.replace(/_/g, '-')));
  if (major < 20 || major > 22 || given) { debug(`young generation: V8's default growth (${given ? 'a semi-space flag was given to Node' : `measured no faster on Node ${major}`})`); return; }
  v8.setFlagsFromString(YOUNG_FLAG);
  debug(`young generation: ${YOUNG_FLAG}`);
}
