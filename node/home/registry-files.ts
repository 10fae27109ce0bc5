import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AlreadyExistsError, InvalidInputError, IoError } from '../../core/errors.js';

/** Names of vaults, identities and projects: lower-case letters, digits, `-`, `_`; 1-63, starting with a letter or digit. */
export const REGISTRY_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Returns `name` when valid for a `kind` (vault, identity, project); throws InvalidInputError otherwise. */
export function validateRegistryName(kind: string, name: string): string {
  if (typeof name !== 'string' || !REGISTRY_NAME_RE.test(name)) {
    throw new InvalidInputError('cli', `invalid ${kind} name '${String(name)}': use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit`);
  }
  return name;
}

/** Creates `dir` (and parents) with mode 0700 and tightens it to 0700 when it exists looser. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  } catch (cause) {
    throw new IoError('cli', `cannot create folder '${dir}': ${(cause as Error).message}`, { cause });
  }
}

/**
 * Writes `value` as JSON to `path` (0600) only if `path` does not exist yet: the content
 * goes to a flushed temporary file that is then hard-linked to `path`, so concurrent
 * creators cannot both win and readers never see a partial file. Throws
 * AlreadyExistsError when `path` exists.
 */
export function createJsonFileExclusive(path: string, value: unknown, what: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    linkSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError('cli', `${what} already exists`);
    throw new IoError('cli', `cannot write '${path}': ${(cause as Error).message}`, { cause });
  } finally {
    try { unlinkSync(tmp); } catch { /* not created */ }
  }
}

/** The names of `<dir>/<name>.json` files with valid names, sorted; empty when `dir` is missing. */
export function jsonFileNames(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).filter((n) => REGISTRY_NAME_RE.test(n)).sort();
}

/** `<dir>/<name>.json` for a validated name. */
export function recordPath(dir: string, kind: string, name: string): string {
  return join(dir, `${validateRegistryName(kind, name)}.json`);
}
