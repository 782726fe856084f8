// The file `bin` points to. A bare `--version` or `--help` is answered from text captured at build
// time, without loading (compiling) the CLI at all; everything else loads the CLI (dist/cli.mjs),
// which runs on import. Keeps `flyte-doctor --version` close to a bare `node -e 0` (bench/).
declare const __FLYTE_DOCTOR_VERSION__: string;
declare const __FLYTE_DOCTOR_HELP__: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${__FLYTE_DOCTOR_VERSION__}\n`);
else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) process.stdout.write(__FLYTE_DOCTOR_HELP__);
else {
  // V8's compile cache (Node >= 22.1; a no-op where the runtime lacks it): the CLI's ~2 MB of bundled
  // code is compiled once per version, not on every run. NODE_COMPILE_CACHE chooses the directory,
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for any Node program.
  try {
    const mod = (await import('node:module')) as { enableCompileCache?: () => unknown };
    if (!process.env['NODE_DISABLE_COMPILE_CACHE']) mod.enableCompileCache?.();
  } catch { /* an unwritable cache directory only costs the compile */ }
  const cli = './cli.mjs';
  await import(cli);
}
