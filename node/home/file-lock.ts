import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { IoError, TimeoutError } from '../../core/errors.js';

/** How long a writer waits for another process's lock before giving up (ms). */
export const LOCK_TIMEOUT_MS = 10_000;
/** A lock older than this is stale whoever holds it: every locked update takes milliseconds. */
export const LOCK_MAX_AGE_MS = 60_000;

/** Locks this process holds, with their nesting depth (a holder may lock the same file again). */
const held = new Map<string, number>();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or undefined when it cannot be read (yet). */
function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes `lock` when it is stale: its process is gone, or it is older than
 * {@link LOCK_MAX_AGE_MS}. The file is first renamed aside (only one breaker can win the
 * rename) and put back if, in between, another process had replaced it by a live lock.
 */
function breakIfStale(lock: string): boolean {
  let before;
  try {
    before = statSync(lock);
  } catch {
    return true; // released meanwhile
  }
  const owner = lockOwner(lock);
  const age = Date.now() - before.mtimeMs;
  const stale = age > LOCK_MAX_AGE_MS || (owner !== undefined ? !processAlive(owner) : age > 2_000);
  if (!stale) return false;
  const aside = `${lock}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return true; // someone else broke or released it
  }
  try {
    if (statSync(aside).ino !== before.ino) {
      // We took a fresh lock by mistake: give it back unless a third process locked meanwhile.
      try { linkSync(aside, lock); } catch { /* the file is locked again by someone else */ }
    }
  } finally {
    try { unlinkSync(aside); } catch { /* gone */ }
  }
  return true;
}

/**
 * Runs `fn` while holding an exclusive lock on `path` (the file `path.lock`, created with
 * O_EXCL and naming this process's pid), so read-modify-write updates of home files by
 * several processes (CLI runs and nodes alike) never lose each other's changes. A lock
 * left by a process that died is broken; a lock held longer than {@link LOCK_TIMEOUT_MS}
 * makes this call fail with TimeoutError. `fn` must be synchronous and short; the same
 * process may lock the same path again inside `fn`.
 */
export function withFileLock<T>(path: string, fn: () => T, { timeoutMs = LOCK_TIMEOUT_MS }: { timeoutMs?: number } = {}): T {
  const depth = held.get(path);
  if (depth !== undefined) {
    held.set(path, depth + 1);
    try {
      return fn();
    } finally {
      held.set(path, depth);
    }
  }
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if (fd !== undefined) {
        closeSync(fd);
        try { unlinkSync(lock); } catch { /* gone */ }
        throw new IoError('cli', `cannot lock '${path}': ${(error as Error).message}`, { cause: error });
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        try {
          mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
        } catch (cause) {
          throw new IoError('cli', `cannot lock '${path}': ${(cause as Error).message}`, { cause });
        }
        continue;
      }
      if (code !== 'EEXIST') throw new IoError('cli', `cannot lock '${path}': ${(error as Error).message}`, { cause: error });
    }
    if (breakIfStale(lock)) continue;
    if (Date.now() >= deadline) {
      const owner = lockOwner(lock);
      throw new TimeoutError('cli', `'${path}' stayed locked for ${timeoutMs} ms${owner !== undefined ? ` by process ${owner}` : ''} (remove '${lock}' if that process is gone)`);
    }
    sleepMs(wait + Math.floor(Math.random() * wait));
    wait = Math.min(wait * 2, 50);
  }
  held.set(path, 1);
  try {
    return fn();
  } finally {
    held.delete(path);
    try { unlinkSync(lock); } catch { /* broken by force after LOCK_MAX_AGE_MS */ }
  }
}
