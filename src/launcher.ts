// The file `bin` points to. A bare `--version` or `--help` is answered from text captured at build
// time, without loading (compiling) the CLI at all; everything else loads the CLI (dist/cli.mjs),
// which runs on import. Keeps `flyte-doctor --version` close to a bare `node -e 0` (bench/).
declare const __FLYTE_DOCTOR_VERSION__: string;
declare const __FLYTE_DOCTOR_HELP__: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${__FLYTE_DOCTOR_VERSION__}\n`);
else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) process.stdout.write(__FLYTE_DOCTOR_HELP__);
else {
  const cli = './cli.mjs';
  await import(cli);
}
