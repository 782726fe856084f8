import { AREAS, type Area, type Check, type CheckSpec, type Messages } from './types.js';

/**
 * Where the per-check docs live: docs/checks.md (generated from the registry; see README), a path
 * relative to the package root. The npm package ships that file, so the reference resolves in the
 * installed copy of exactly the version that wrote the report (the report's tool.version), and in a
 * checkout of the source at that version; `flyte-doctor explain <id>` prints the check's explanation. No
 * hosted, versioned URL exists for the project, so none is made up here.
 */
export const DOCS_BASE = 'docs/checks.md';

/** GitHub's heading anchor for a check id heading (`## storage.s3.delete` -> #storages3delete). */
export function docsAnchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

/** The docs reference of a check: `docs/checks.md#<anchor>` (a URI reference relative to the package root). */
export function docsUrlFor(id: string): string {
  return `${DOCS_BASE}#${docsAnchor(id)}`;
}

const ID_RE = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*){2,3}$/;

/**
 * Declares a check. The area and docsUrl are derived from the id so they cannot drift:
 * `storage.s3.delete` lives in checks/storage/s3.delete.ts, area 'storage'.
 */
export function defineCheck<const M extends Messages = Messages>(spec: CheckSpec<M>): Check {
  if (!ID_RE.test(spec.id)) throw new Error(`check id "${spec.id}" must look like area.subject.aspect`);
  const area = spec.id.split('.')[0] as Area;
  if (!(AREAS as readonly string[]).includes(area)) throw new Error(`check id "${spec.id}": unknown area "${area}"`);
  return Object.freeze({ ...(spec as unknown as CheckSpec<Messages>), area, docsUrl: docsUrlFor(spec.id) });
}
