import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InvalidInputError, IoError } from '../../core/errors.js';
import { Identity } from '../../core/identity/identity.js';
import type { PublicKey } from '../../core/vault/keys.js';
import { verifyAuditExports, type AuditVerification, type AuditVerifyOptions } from '../../authority/audit-verify.js';
import { readIdentityFile } from './identity-registry.js';
import { isObject } from './json-file.js';

/**
 * Reads the authority's public identity from `path`: a project record (its `authority`),
 * the output of `identity show --json`, an identity record, or plain identity JSON.
 */
export function readAuthorityIdentityFile(path: string): Identity {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return readIdentityFile(path);
  }
  if (isObject(value) && isObject(value.authority) && typeof value.authority.changeHistory === 'string' && typeof value.authority.identifier === 'string') {
    return Identity.fromJSON({ identifier: value.authority.identifier, changeHistory: value.authority.changeHistory });
  }
  return readIdentityFile(path);
}

/** Every public key the identity has had (an export may hold checkpoints signed before a rotation). */
export function identityPublicKeys(identity: Identity): PublicKey[] {
  return identity.changes.map((c) => c.data.primaryPublicKey);
}

/**
 * The lines of `file`, read in 1 MiB chunks (memory stays flat whatever the file's size).
 * Throws IoError when the file cannot be read.
 */
export function* fileLines(file: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new IoError('cli', `cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
  try {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (cause) {
        throw new IoError('cli', `cannot read '${file}': ${(cause as Error).message}`, { cause });
      }
      if (n === 0) break;
      const text = rest + decoder.write(chunk.subarray(0, n));
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      yield* parts;
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Verifies the export in `file` against `authority` (offline), reading it line by line. Throws IoError when the file cannot be read. */
export function verifyAuditFile(file: string, authority: Identity, options: Omit<AuditVerifyOptions, 'authority'> = {}): AuditVerification {
  return verifyAuditFiles([file], authority, options);
}

/**
 * Verifies a sequence of exports (`audit export`, then `audit export --after-seq N` ...)
 * as one log against `authority`, each file line by line: each must continue the one before
 * (see AuditExportVerifier). Throws IoError when a file cannot be read, InvalidInputError
 * when one is empty.
 */
export function verifyAuditFiles(files: readonly string[], authority: Identity, options: Omit<AuditVerifyOptions, 'authority'> = {}): AuditVerification {
  function* pieces(): Generator<Iterable<string>> {
    for (const file of files) {
      const lines = fileLines(file);
      try {
        const first = lines.next();
        if (first.done === true) throw new InvalidInputError('authority', `'${file}' is empty`);
        yield (function* all(): Generator<string> {
          yield first.value as string;
          yield* lines;
        })();
      } finally {
        lines.return(undefined);
      }
    }
  }
  return verifyAuditExports(pieces(), identityPublicKeys(authority), { ...options, authority: authority.identifier });
}
