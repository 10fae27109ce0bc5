import { existsSync, realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { IoError, NotFoundError } from '../../core/errors.js';
import { ckrName } from './pkcs11-errors.js';

interface LoadedModule {
  readonly lib: pkcs11js.PKCS11;
  refs: number;
}

// A PKCS#11 module is initialised once per process: every vault on the same module
// shares one library instance, finalised when the last of them closes.
const loaded = new Map<string, LoadedModule>();

/**
 * Loads and initialises (C_Initialize with OS locking, for signing from the thread pool)
 * the module at `path`, or returns the already loaded one. Pair with {@link releaseModule}.
 */
export function acquireModule(path: string): { readonly key: string; readonly lib: pkcs11js.PKCS11 } {
  if (!existsSync(path)) throw new NotFoundError('vault', `PKCS#11 module not found: ${path}`);
  const key = realpathSync(path);
  const existing = loaded.get(key);
  if (existing) {
    existing.refs++;
    return { key, lib: existing.lib };
  }
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(key);
  } catch (cause) {
    throw new IoError('vault', `cannot load PKCS#11 module ${path} (not a PKCS#11 library, or a missing dependency)`, { cause });
  }
  try {
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckrName(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw new IoError('vault', `PKCS#11 module ${path} failed to initialise (${ckrName(cause) ?? 'error'})`, { cause });
    }
  }
  loaded.set(key, { lib, refs: 1 });
  return { key, lib };
}

/** Drops one reference to a module; the last one finalises and unloads it. */
export function releaseModule(key: string): void {
  const entry = loaded.get(key);
  if (!entry) return;
  if (--entry.refs > 0) return;
  loaded.delete(key);
  try { entry.lib.C_Finalize(); } catch { /* already finalised */ }
  try { entry.lib.close(); } catch { /* already closed */ }
}

/**
 * The slot holding the token labelled `label` (labels are space-padded to 32 bytes on
 * the token). Throws NotFoundError listing the labels that are present.
 */
export function findSlotByLabel(lib: pkcs11js.PKCS11, label: string): pkcs11js.Handle {
  const labels: string[] = [];
  for (const slot of lib.C_GetSlotList(true)) {
    const tokenLabel = lib.C_GetTokenInfo(slot).label.replace(/[\s\0]+$/, '');
    if (tokenLabel === label) return slot;
    labels.push(JSON.stringify(tokenLabel));
  }
  throw new NotFoundError('vault', `no PKCS#11 token labelled "${label}"; present: ${labels.length > 0 ? labels.join(', ') : 'none'}`);
}
