// Finds the kubeconfig (--kubeconfig, $KUBECONFIG first existing path, ~/.kube/config), validates
// its YAML and the --context, without loading @kubernetes/client-node.
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Provenance } from './target.js';
import { isDict, parseYaml, readTextFile, shortJson } from './values.js';
import type { Dict } from './values.js';

export interface KubeResult {
  kubeconfigPath?: string;
  context?: string;
  /** Namespace of the selected context, when it sets one. */
  contextNamespace?: string;
  provenance: Provenance;
  inputs: string[];
}

export interface KubeInput {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
}

function locate(input: KubeInput): { path: string; flag: string } | undefined {
  if (input.kubeconfig) return { path: input.kubeconfig, flag: '--kubeconfig' };
  const env = input.env['KUBECONFIG'];
  if (env) {
    const paths = env.split(delimiter).filter(Boolean);
    const first = paths.find((p) => existsSync(resolve(input.cwd, p)));
    if (first) return { path: first, flag: 'env KUBECONFIG' };
    if (input.context) throw new UserError(`env KUBECONFIG: none of the files exist: ${paths.join(delimiter)}`);
    return undefined;
  }
  const def = join(input.home, '.kube', 'config');
  if (existsSync(def)) return { path: def, flag: '~/.kube/config' };
  return undefined;
}

export function loadKubeconfig(input: KubeInput): KubeResult {
  const provenance: Provenance = {};
  const out: KubeResult = { provenance, inputs: [] };
  const loc = locate(input);
  if (!loc) {
    if (input.context) throw new UserError(`--context ${input.context}: no kubeconfig found (looked at --kubeconfig, $KUBECONFIG, ${join(input.home, '.kube', 'config')})`);
    return out;
  }
  const text = readTextFile(loc.flag, loc.path, input.cwd);
  out.inputs.push(loc.path);
  out.kubeconfigPath = loc.path;
  provenance['kubernetes.kubeconfigPath'] = loc.flag;
  const data = parseYaml(loc.path, text);
  if (data === null || data === undefined) {
    if (input.context) throw new UserError(`--context ${input.context}: ${loc.path} is empty and has no contexts`);
    return out;
  }
  if (!isDict(data)) throw new UserError(`${loc.path}: expected a kubeconfig map (apiVersion, clusters, contexts, users), got ${shortJson(data)}`);
  const contextsRaw = data['contexts'] ?? [];
  if (!Array.isArray(contextsRaw)) throw new UserError(`${loc.path}: contexts: expected a list, got ${shortJson(contextsRaw)}`);
  const contexts = new Map<string, Dict>();
  contextsRaw.forEach((c, i) => {
    if (!isDict(c) || typeof c['name'] !== 'string') throw new UserError(`${loc.path}: contexts[${i}]: expected a map with a name, got ${shortJson(c)}`);
    contexts.set(c['name'], isDict(c['context']) ? c['context'] : {});
  });
  const current = data['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') throw new UserError(`${loc.path}: current-context: expected a string, got ${shortJson(current)}`);
  let name: string | undefined;
  if (input.context) {
    if (!contexts.has(input.context)) {
      const avail = [...contexts.keys()];
      throw new UserError(`--context ${input.context}: no such context in ${loc.path}; available: ${avail.length ? avail.join(', ') : '(none)'}`);
    }
    name = input.context;
    provenance['kubernetes.context'] = '--context';
  } else if (current) {
    name = current;
    provenance['kubernetes.context'] = `${loc.path}: current-context`;
  }
  if (name) {
    out.context = name;
    const ns = contexts.get(name)?.['namespace'];
    if (typeof ns === 'string' && ns) out.contextNamespace = ns;
  }
  return out;
}
