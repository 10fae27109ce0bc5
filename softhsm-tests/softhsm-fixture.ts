import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where SoftHSM's PKCS#11 module usually lives. */
const MODULE_PATHS = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

/** Why SoftHSM tests cannot run here, or undefined when they can. */
export function softhsmUnavailableReason(): string | undefined {
  const probe = spawnSync('softhsm2-util', ['--version'], { encoding: 'utf8' });
  if (probe.error) return 'softhsm2-util is not installed (apt-get install -y softhsm2)';
  if (!softhsmModule()) return `libsofthsm2.so not found in ${MODULE_PATHS.join(', ')}`;
  return undefined;
}

/** Path of the SoftHSM PKCS#11 module, if installed. */
export function softhsmModule(): string | undefined {
  return MODULE_PATHS.find((p) => existsSync(p));
}

/** A throwaway SoftHSM token directory with its own configuration. */
export interface SoftHsmDir {
  readonly dir: string;
  /** Value for SOFTHSM2_CONF. */
  readonly conf: string;
  readonly module: string;
  /** Initialises a token; returns its user PIN. */
  initToken(label: string, pin?: string): string;
  /** Removes the directory. */
  remove(): void;
}

/**
 * Creates a temp dir holding a softhsm2.conf whose tokendir is inside it. The caller
 * sets process.env.SOFTHSM2_CONF = conf before the module is first initialised.
 */
export function createSoftHsmDir(): SoftHsmDir {
  const module = softhsmModule();
  if (!module) throw new Error('SoftHSM module not installed');
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-softhsm-'));
  mkdirSync(join(dir, 'tokens'), { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  return {
    dir, conf, module,
    initToken(label: string, pin = randomBytes(8).toString('hex')): string {
      const out = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', randomBytes(8).toString('hex'), '--pin', pin], {
        env: { ...process.env, SOFTHSM2_CONF: conf }, encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${out.stderr || out.stdout}`);
      return pin;
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
