#!/usr/bin/env node
// Enforces the dependency direction between the top-level folders:
//   cli -> node -> {authority, policy, vaults} -> core   (authority may use policy)
// and, inside them:
//   - each vault depends on core only, never on another vault;
//   - node/home (state files of a home) never imports node/daemon or node/client;
//   - node/client (start, stop, call a node) never imports node/daemon; both share node/api;
//   - nothing imports cli/ (not even tests, benchmarks or scripts);
//   - code that ships (not a test, not under a testing/ folder) never imports a testing/ folder.
// Exits 1 and names every offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders each layer may import from (besides itself). */
export const ALLOWED = {
  core: [],
  vaults: ['core'],
  policy: ['core'],
  authority: ['core', 'policy'],
  node: ['core', 'vaults', 'policy', 'authority'],
  cli: ['core', 'vaults', 'policy', 'authority', 'node'],
};
const LAYERS = Object.keys(ALLOWED);
/** Folders that are not layers but whose imports are checked too (tests, tools). */
const OTHERS = ['integration', 'softhsm-tests', 'bench', 'scripts'];
/** Files whose import-like strings are fixtures, not imports. */
const SKIP = new Set(['scripts/check-layers.test.ts']);
/** Sub-folders of node/ and the node/ sub-folders they must not import. */
const NODE_FORBIDDEN = { home: ['daemon', 'client'], client: ['daemon'], api: ['daemon', 'client', 'home'] };

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

const isTest = (rel) => /\.test\.[mc]?[tj]s$/.test(rel) || /-contract\.ts$/.test(rel);
const inTesting = (parts) => parts.includes('testing');

/** Returns the violations found under `root`, one line each. */
export function checkLayers(root) {
  const problems = [];
  for (const layer of [...LAYERS, ...OTHERS]) {
    let base;
    try { base = join(root, layer); statSync(base); } catch { continue; }
    for (const file of walk(base)) {
      const src = readFileSync(file, 'utf8');
      const rel = relative(root, file);
      if (SKIP.has(rel.split(sep).join('/'))) continue;
      const relParts = rel.split(sep);
      for (const m of src.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(dirname(file), spec));
        const parts = target.split(sep);
        const top = parts[0];
        if (top === '..' || top === '') { problems.push(`${rel}: imports outside the package (${spec})`); continue; }
        if (top === 'cli' && layer !== 'cli') { problems.push(`${rel}: ${layer}/ must not import cli/ (${spec})`); continue; }
        const ships = LAYERS.includes(layer) && !isTest(rel) && !inTesting(relParts);
        if (ships && inTesting(parts)) problems.push(`${rel}: code that ships imports test support (${spec})`);
        if (!LAYERS.includes(layer)) continue;
        if (top === layer) {
          const isFolder = (x) => x && !/\.(ts|js|mjs)$/.test(x);
          const from = relParts[1];
          const to = parts[1];
          if (layer === 'vaults' && isFolder(from) && isFolder(to) && from !== to) problems.push(`${rel}: vault '${from}' imports vault '${to}' (${spec})`);
          if (layer === 'node' && !isTest(rel) && NODE_FORBIDDEN[from]?.includes(to)) problems.push(`${rel}: node/${from} must not import node/${to} (${spec})`);
          continue;
        }
        if (!LAYERS.includes(top)) continue;
        if (!ALLOWED[layer].includes(top)) problems.push(`${rel}: ${layer}/ must not import ${top}/ (${spec})`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ? resolve(process.argv[2]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkLayers(root);
  if (problems.length > 0) {
    for (const p of problems) console.error(`layer violation: ${p}`);
    process.exit(1);
  }
}
