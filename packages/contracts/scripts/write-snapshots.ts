// npm run snapshots: records the JSON Schema of every new or compatibly edited (type, version).
import { writeMissingSnapshots } from './snapshot-store.js';

const { written, refused } = writeMissingSnapshots();
console.log(written.length > 0 ? `wrote ${written.map((f) => `snapshots/${f}`).join(', ')}` : 'no new snapshot');
for (const { key, issues } of refused) {
  console.error(`not recorded: ${key} breaks its published snapshot; add a new version instead:`);
  for (const i of issues) console.error(`  ${i.path}: ${i.message}`);
}
if (refused.length > 0) process.exitCode = 1;
