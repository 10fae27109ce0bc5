import { readFileSync, statSync } from 'node:fs';
import { InvalidInputError, NotFoundError, UnauthorizedError } from '../../core/errors.js';

/**
 * What the CLI persists for a PKCS#11 vault: plain JSON, no secrets. The PIN is read at
 * run time from the environment variable named `pinEnv` or from the file `pinFile`
 * (exactly one), so it never appears in a flag, in shell history or in `ps`.
 */
export interface Pkcs11VaultConfig {
  /** Path of the PKCS#11 module, e.g. '/usr/lib/softhsm/libsofthsm2.so'. */
  readonly module: string;
  /** Label of the token to use (slot ids can change; labels do not). */
  readonly tokenLabel: string;
  /** Name of the environment variable holding the user PIN. */
  readonly pinEnv?: string;
  /** Path of a file (mode 0600 or stricter) holding the user PIN. */
  readonly pinFile?: string;
  /** CKA_LABEL given to keys created here (default 'symbolon'); also filters listing when set. */
  readonly keyLabel?: string;
  /** Sessions kept open for concurrent signing (1 to 16, default 4). */
  readonly sessions?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates a config read from the home (or built from CLI flags); throws InvalidInputError. */
export function parsePkcs11Config(input: unknown): Pkcs11VaultConfig {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('vault', 'pkcs11 vault config must be an object');
  const c = input as Record<string, unknown>;
  const str = (k: string, max: number): string | undefined => {
    const v = c[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new InvalidInputError('vault', `pkcs11 ${k} must be a non-empty string of at most ${max} characters`);
    return v;
  };
  const module = str('module', 4096);
  const tokenLabel = str('tokenLabel', 32);
  if (module === undefined) throw new InvalidInputError('vault', 'pkcs11 vault needs a module path');
  if (tokenLabel === undefined) throw new InvalidInputError('vault', 'pkcs11 vault needs a token label');
  const pinEnv = str('pinEnv', 256);
  const pinFile = str('pinFile', 4096);
  if ((pinEnv === undefined) === (pinFile === undefined)) throw new InvalidInputError('vault', 'pkcs11 vault needs exactly one of pinEnv or pinFile');
  if (pinEnv !== undefined && !ENV_NAME.test(pinEnv)) throw new InvalidInputError('vault', `pkcs11 pinEnv must be an environment variable name, got ${JSON.stringify(pinEnv)}`);
  const keyLabel = str('keyLabel', 128);
  let sessions: number | undefined;
  if (c.sessions !== undefined) {
    if (!Number.isInteger(c.sessions) || (c.sessions as number) < 1 || (c.sessions as number) > 16) throw new InvalidInputError('vault', 'pkcs11 sessions must be an integer from 1 to 16');
    sessions = c.sessions as number;
  }
  return { module, tokenLabel, pinEnv, pinFile, keyLabel, sessions };
}

/**
 * Reads the user PIN from the configured environment variable or file. A PIN file must
 * not be readable by group or others. The PIN is returned to the caller only, never logged.
 */
export function readPin(config: Pkcs11VaultConfig): string {
  if (config.pinEnv !== undefined) {
    const pin = process.env[config.pinEnv];
    if (pin === undefined || pin === '') throw new UnauthorizedError('vault', `environment variable ${config.pinEnv} holding the PIN for token "${config.tokenLabel}" is not set`);
    return pin;
  }
  const file = config.pinFile as string;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (cause) {
    throw new NotFoundError('vault', `PIN file ${file} not found`, { cause });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw new UnauthorizedError('vault', `PIN file ${file} is accessible by group or others; chmod 600 it`);
  const pin = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (pin === '') throw new UnauthorizedError('vault', `PIN file ${file} is empty`);
  return pin;
}
