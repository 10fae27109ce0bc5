#!/usr/bin/env node
// Enforces the dependency direction between the top-level folders:
//   cli -> authority -> policy -> core <- vaults   (cli wires vaults in)
// Each vault depends on core only, never on another vault. Nothing imports cli.
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
  cli: ['core', 'vaults', 'policy', 'authority'],
};
const LAYERS = Object.keys(ALLOWED);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

/** Returns the violations found under `root`, one line each. */
export function checkLayers(root) {
  const problems = [];
  for (const layer of LAYERS) {
    let base;
    try { base = join(root, layer); statSync(base); } catch { continue; }
    for (const file of walk(base)) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(dirname(file), spec));
        const parts = target.split(sep);
        const top = parts[0];
        const rel = relative(root, file);
        if (top === layer) {
          if (layer === 'vaults') {
            const from = rel.split(sep)[1];
            const to = parts[1];
            const isFolder = (x) => x && !/\.(ts|js)$/.test(x);
            if (isFolder(from) && isFolder(to) && from !== to) problems.push(`${rel}: vault '${from}' imports vault '${to}' (${spec})`);
          }
          continue;
        }
        if (!LAYERS.includes(top)) {
          if (top === '..' || top === '') problems.push(`${rel}: imports outside the package (${spec})`);
          continue;
        }
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
