// npm run asyncapi: writes docs/asyncapi.yaml from the event catalogue.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { asyncApiPath, renderAsyncApiYaml } from './asyncapi-yaml.js';

mkdirSync(dirname(asyncApiPath), { recursive: true });
writeFileSync(asyncApiPath, renderAsyncApiYaml());
console.log(`wrote ${relative(process.cwd(), asyncApiPath)}`);
