import { readFileSync } from 'node:fs';
import { InvalidInputError, IoError } from '../../core/errors.js';
import { Identity } from '../../core/identity/identity.js';
import type { PublicKey } from '../../core/vault/keys.js';
import { verifyAuditExport, type AuditVerification, type AuditVerifyOptions } from '../../authority/audit-verify.js';
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

/** Verifies the export in `file` against `authority` (offline). Throws IoError when the file cannot be read. */
export function verifyAuditFile(file: string, authority: Identity, options: Omit<AuditVerifyOptions, 'authority'> = {}): AuditVerification {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IoError('cli', `cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InvalidInputError('authority', `'${file}' is empty`);
  return verifyAuditExport(lines, identityPublicKeys(authority), { ...options, authority: authority.identifier });
}
