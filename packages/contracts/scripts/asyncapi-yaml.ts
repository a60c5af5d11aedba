// Rendering of docs/asyncapi.yaml, shared by the generator script and the test that checks the
// committed file is current. Kept out of src/ so `yaml` stays a dev dependency.
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildAsyncApiDocument } from '../src/asyncapi.js';

/** Where the generated document is committed (repository root, docs/). */
export const asyncApiPath = fileURLToPath(new URL('../../../docs/asyncapi.yaml', import.meta.url));

const banner = '# Generated from packages/contracts by `npm run asyncapi`. Do not edit by hand.\n';

/** The YAML text of the AsyncAPI document, byte for byte what `npm run asyncapi` writes. */
export function renderAsyncApiYaml(): string {
  // No anchors/aliases (the same object may appear twice) and no line folding, so a diff of
  // the committed file shows exactly the schema change.
  return banner + stringify(buildAsyncApiDocument(), { aliasDuplicateObjects: false, lineWidth: 0 });
}
