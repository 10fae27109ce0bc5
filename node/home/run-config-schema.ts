import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError } from '../../core/errors.js';
import type { JsonSchema } from './json-schema-check.js';

/** The schema's path inside the package. */
export const RUN_CONFIG_SCHEMA_FILE = 'schemas/symbolon-config.schema.json';

let cached: JsonSchema | undefined;

/** The package folder: the nearest folder above this file that holds the schema (sources and dist/ alike). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, RUN_CONFIG_SCHEMA_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new IoError('cli', `${RUN_CONFIG_SCHEMA_FILE} is missing from the package`);
    dir = parent;
  }
}

/**
 * The JSON Schema of run files, as shipped in the package
 * (`schemas/symbolon-config.schema.json`); `symbolon run` checks files against this very
 * document, so the schema editors see and the checks the command makes cannot drift apart.
 */
export function runConfigSchema(): JsonSchema {
  cached ??= JSON.parse(readFileSync(join(packageRoot(), RUN_CONFIG_SCHEMA_FILE), 'utf8')) as JsonSchema;
  return cached;
}
