// `npm run testbed:up [-- --install flyte-binary|flyte-core] [--only postgres,minio]`,
// `npm run testbed:down [-- --purge]`, `npm run testbed:status`.
import { ALL_PARTS, type Part, ServerStartError, down, status, up } from './testbed.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

async function main(): Promise<number> {
  const cmd = process.argv[2];
  if (cmd === 'up') {
    const install = arg('install');
    if (install !== undefined && install !== 'flyte-binary' && install !== 'flyte-core') {
      process.stderr.write(`--install must be flyte-binary or flyte-core, not "${install}"\n`);
      return 2;
    }
    const onlyArg = arg('only');
    const only = onlyArg?.split(',').map((s) => s.trim()).filter(Boolean) as Part[] | undefined;
    const bad = only?.filter((p) => !ALL_PARTS.includes(p));
    if (bad?.length) { process.stderr.write(`--only: unknown part(s) ${bad.join(', ')} (known: ${ALL_PARTS.join(', ')})\n`); return 2; }
    await up({ ...(install ? { install } : {}), ...(only ? { only } : {}), log: (m) => process.stdout.write(`[testbed] ${m}\n`) });
    return 0;
  }
  if (cmd === 'down') {
    await down({ purge: process.argv.includes('--purge'), log: (m) => process.stdout.write(`[testbed] ${m}\n`) });
    process.stdout.write('[testbed] down\n');
    return 0;
  }
  if (cmd === 'status') {
    const s = await status();
    for (const p of s.parts) process.stdout.write(`${p.ok ? 'up  ' : 'DOWN'}  ${p.part.padEnd(9)} ${p.detail}\n`);
    process.stdout.write(s.up ? 'test bed is up\n' : 'test bed is not (fully) up: run `npm run testbed:up`\n');
    return s.up ? 0 : 1;
  }
  process.stderr.write('usage: tsx test/infra/testbed-cli.ts up [--install flyte-binary|flyte-core] [--only part,...] | down [--purge] | status\n');
  return 2;
}

main().then((code) => process.exit(code), (e: unknown) => {
  if (e instanceof ServerStartError) {
    process.stderr.write(`\n${e.message}\n\nFix the cause (missing binaries/packages: test/infra/install-deps.sh), then run \`npm run testbed:up\` again.\n`);
  } else {
    process.stderr.write(`\ntest bed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }
  process.exit(1);
});
