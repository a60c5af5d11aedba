#!/usr/bin/env node
// Cuts the built monorepo down to what one service needs at runtime (used by the Dockerfile).
//
//   node infra/docker/prune-workspace.mjs <service> <out>
//
// Writes two trees:
//   <out>/manifest  root package.json (workspaces = the service and the workspace packages it
//                   depends on, transitively), package-lock.json, .npmrc, and each of those
//                   workspaces' package.json: what `npm ci --omit=dev` needs, and nothing that
//                   changes when only sources change (so the dependency layer stays cached).
//   <out>/app       the same package.json files plus each workspace's dist/ (without type
//                   declarations and source maps) and drizzle/ (migrations, read at runtime).
//
// devDependencies and optional peerDependencies are dropped from the copied manifests: npm
// installs a workspace that is merely present as a peer (e.g. the testkit, peer of messaging's
// ./testing entry) together with everything it depends on, even with --omit=dev. The lockfile
// is kept as is, so the versions installed are exactly the locked ones.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [service, out] = process.argv.slice(2);
if (!service || !out) {
  console.error('usage: prune-workspace.mjs <service> <out>');
  process.exit(2);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
};

const root = readJson('package.json');
// Workspace globs here are all of the form "dir/*".
const workspaces = new Map(); // package name -> folder
for (const pattern of root.workspaces ?? []) {
  const base = pattern.replace(/\/\*$/, '');
  if (!existsSync(base)) continue;
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const dir = `${base}/${entry.name}`;
    if (entry.isDirectory() && existsSync(join(dir, 'package.json'))) workspaces.set(readJson(join(dir, 'package.json')).name, dir);
  }
}

const start = workspaces.has(service) ? service : `@orderflow/${service}`;
if (!workspaces.has(start)) {
  console.error(`no workspace named ${service} or @orderflow/${service}`);
  process.exit(2);
}

// Runtime closure over workspace packages: dependencies and optionalDependencies only.
const needed = [];
const queue = [start];
while (queue.length > 0) {
  const name = queue.shift();
  if (needed.includes(name)) continue;
  needed.push(name);
  const pkg = readJson(join(workspaces.get(name), 'package.json'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (workspaces.has(dep)) queue.push(dep);
  }
}

rmSync(out, { recursive: true, force: true });
const manifest = join(out, 'manifest');
const app = join(out, 'app');

const rootManifest = {
  name: root.name,
  private: true,
  type: root.type,
  workspaces: needed.map((name) => workspaces.get(name)).sort(),
};
if (root.engines) rootManifest.engines = root.engines;
for (const dir of [manifest, app]) writeJson(join(dir, 'package.json'), rootManifest);
cpSync('package-lock.json', join(manifest, 'package-lock.json'));
if (existsSync('.npmrc')) cpSync('.npmrc', join(manifest, '.npmrc'));

const runtimeFile = (src) => !/\.d\.[cm]?ts(\.map)?$|\.map$|\.tsbuildinfo$/.test(src);
for (const name of needed) {
  const dir = workspaces.get(name);
  const pkg = readJson(join(dir, 'package.json'));
  delete pkg.devDependencies;
  delete pkg.scripts;
  for (const [peer, meta] of Object.entries(pkg.peerDependenciesMeta ?? {})) {
    if (meta?.optional) {
      delete pkg.peerDependencies?.[peer];
      delete pkg.peerDependenciesMeta[peer];
    }
  }
  for (const dest of [manifest, app]) writeJson(join(dest, dir, 'package.json'), pkg);
  for (const folder of ['dist', 'drizzle']) {
    const src = join(dir, folder);
    if (existsSync(src)) cpSync(src, join(app, dir, folder), { recursive: true, filter: runtimeFile });
  }
  if (!existsSync(join(dir, 'dist'))) {
    console.error(`${dir}/dist is missing: build ${name} first`);
    process.exit(1);
  }
}
console.log(`runtime workspaces for ${start}: ${rootManifest.workspaces.join(', ')}`);
