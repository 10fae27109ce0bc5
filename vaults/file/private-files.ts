import { constants, type Stats } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { openSync, closeSync, fsyncSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidInputError, IoError } from '../../core/errors.js';

const CHECK_MODES = process.platform !== 'win32';

/**
 * Refuses `stats` when group or others have any access, or another user owns it. The
 * error names the path and the mode so the operator can fix it.
 */
export function assertPrivate(stats: Stats, path: string, what: 'folder' | 'key file'): void {
  if (!CHECK_MODES) return;
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const wanted = what === 'folder' ? '700' : '600';
    throw new InvalidInputError('vault', `vault ${what} ${path} has mode ${mode.toString(8).padStart(4, '0')}; it must not be accessible to group or others (chmod ${wanted} ${path})`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new InvalidInputError('vault', `vault ${what} ${path} is owned by uid ${stats.uid}, not by the current user (uid ${uid})`);
  }
}

/** Open flags for reading a key file: never through a symlink. */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes `data` to `folder/name` atomically: a 0600 temp file in the same folder, fsync,
 * rename over the target, fsync the folder.
 */
export async function writeFileAtomic(folder: string, name: string, data: Uint8Array): Promise<void> {
  const temp = join(folder, `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(folder, name));
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new IoError('vault', `cannot write ${join(folder, name)}: ${(cause as Error).message}`, { cause });
  }
  syncFolder(folder);
}

/** fsync a folder so a rename or unlink in it is durable (best effort where unsupported). */
export function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
