import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { IoError } from '../errors.js';

/**
 * Longest Unix socket path used, in bytes. The kernel limit is 107 on Linux and 103 on
 * macOS (sun_path minus the terminating NUL); staying under 100 leaves a margin.
 */
export const MAX_SOCKET_PATH_BYTES = 100;

/**
 * Chooses where a control socket lives. `preferred` (inside a private folder the caller
 * owns) is used when short enough; otherwise the socket goes into a per-user 0700 folder
 * under the system temp folder, named by a hash of `key` (e.g. home path + node name),
 * so the same key always maps to the same path. The caller records the returned path.
 */
export function chooseSocketPath(preferred: string, key: string): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH_BYTES) return preferred;
  const dir = privateTempDir();
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 24);
  const path = join(dir, `${hash}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new IoError('node', `cannot place a control socket: temp folder path '${dir}' is too long`);
  }
  return path;
}

/**
 * Creates (if needed) and checks `<tmpdir>/symbolon-<uid>`, mode 0700, owned by this user
 * and not a symlink. Throws IoError when another user owns it or it is not a folder.
 */
export function privateTempDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : userInfo().uid;
  const dir = join(tmpdir(), `symbolon-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new IoError('node', `'${dir}' is not a folder`);
  if (uid >= 0 && st.uid !== uid) throw new IoError('node', `'${dir}' belongs to another user`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return dir;
}
