import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { Json, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'values.inputs.server-config',
  title: 'The Flyte server configs and rendered manifests given are what Flyte will run with',
  phases: ['preflight', 'verify'],
  messages: {
    none: { status: 'skip', summary: 'No --server-config or --manifests given.' },
    clean: { status: 'pass', summary: 'The server configs / manifests were read; nothing in them is ignored or refused by Flyte.' },
    ignoredOrRefused: { status: 'warn', summary: 'Something the server configs or manifests set is ignored or refused by Flyte at start-up (a storage kind without its config, a config file a Deployment reads that is not there, components using different buckets), each named with its key and file.' },
  },
  explain: {
    what: 'Reports what `--server-config` files and `--manifests` set that Flyte ignores or refuses: storage settings its loader skips (stow kind without config, a legacy `connection` block next to stow), SQLite, config files a Deployment mounts that the manifests do not contain, Flyte components that disagree on the metadata bucket.',
    why: 'The server configs are what flyteadmin, datacatalog and flytepropeller read; a setting that is silently ignored there is a setting the operator believes in and Flyte does not use.',
    fix: 'Change the key named in the file named (or the values that render it) and re-render: `helm template … | flyte-doctor preflight --manifests -`.',
  },
  async run(ctx): Promise<Outcome<'none' | 'clean' | 'ignoredOrRefused'>> {
    const t = ctx.target;
    const given = t.deployedInputs ?? [];
    const warnings = t.configWarnings ?? [];
    if (!given.length) return { status: 'skip', messageId: 'none', message: 'no --server-config or --manifests given' };
    if (!warnings.length) return { status: 'pass', messageId: 'clean', message: `read ${given.join(', ')}: nothing Flyte ignores or refuses`, details: { inputs: given as Json } };
    const shown = warnings.slice(0, 6).map((w) => `${w.message} (${w.source})`);
    return {
      status: 'warn', messageId: 'ignoredOrRefused', cause: cause.config(warnings[0]!.key),
      message: `${warnings.length} setting${warnings.length === 1 ? '' : 's'} Flyte ignores or refuses: ${shown.join('; ')}${warnings.length > 6 ? `; and ${warnings.length - 6} more (details.warnings)` : ''}`,
      hint: `change ${[...new Set(warnings.map((w) => w.key))].slice(0, 4).join(', ')} where named (or the values that render it) and render again`,
      details: { warnings: warnings.map((w) => ({ key: w.key, source: w.source, message: w.message })) as Json },
    };
  },
});
