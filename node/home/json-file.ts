import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { InvalidInputError, IoError } from '../../core/errors.js';
import { withFileLock } from './file-lock.js';

/** Reads and parses a JSON file; undefined when it does not exist. Throws InvalidInputError when it is not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IoError('cli', `cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError('cli', `'${path}' is not valid JSON`, { cause: err });
  }
}

/**
 * Writes `value` as JSON atomically: a temporary file in the same folder (created with
 * `mode`, default 0600), flushed to disk, then renamed over `path`. Readers see the old or
 * the new content, never a partial file.
 */
export function writeJsonFileAtomic(path: string, value: unknown, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* not created */ }
    throw new IoError('cli', `cannot write '${path}': ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Read-modify-write of a JSON file under the file's lock (see `withFileLock`): `change`
 * gets the current value (undefined when the file does not exist) and returns the new one,
 * which is written atomically. Concurrent updaters, in any process, each see the others'
 * changes. Returns the written value.
 */
export function updateJsonFile<T>(path: string, change: (current: unknown) => T, mode = 0o600): T {
  return withFileLock(path, () => {
    const next = change(readJsonFile(path));
    writeJsonFileAtomic(path, next, mode);
    return next;
  });
}

/** True for a plain JSON object. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
