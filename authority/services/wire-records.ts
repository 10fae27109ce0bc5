import { InvalidInputError } from '../../core/errors.js';
import type { AuditEntry, AuditRecordType } from '../audit-record.js';
import { AUDIT_RECORD_TYPES } from '../audit-record.js';
import type { MemberRecord, Role, SignerRecord } from '../authority-store.js';
import type { IssuedCredential } from '../authority.js';
import { Params } from './params.js';
import type { WireMap } from './protocol.js';

/** A credential as the services send it: the signed credential, the issuer's key attestation and its validity (ms). */
export interface FetchedCredential {
  /** The encoded signed credential (`core/credential`). */
  readonly credential: Uint8Array;
  /** The authority's attestation of its credential-signing key. */
  readonly attestation: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Lowercase hex SHA-256 of `credential`, as in the audit log. */
  readonly credentialHash: string;
}

const ROLES: readonly Role[] = ['admin', 'enroller', 'member'];

/** A member record as a wire map. */
export function memberToWire(m: MemberRecord): WireMap {
  return {
    identifier: m.identifier, attributes: { ...m.attributes }, role: m.role, addedBy: m.addedBy, addedAt: m.addedAt, ticketHash: m.ticketHash,
    ...(m.grants === undefined ? {} : { mayGrant: [...m.grants.attributes], mayGrantRelays: [...m.grants.relays] }),
  };
}

/** A signer record as a wire map (the attestation stays at the authority). */
export function signerToWire(s: SignerRecord): WireMap {
  return {
    keyId: s.keyId, replica: s.replica, keyType: s.keyType, publicKey: s.publicKey, attestedAt: s.attestedAt, expiresAt: s.expiresAt,
    ...(s.withdrawnAt === undefined ? {} : { withdrawnAt: s.withdrawnAt, withdrawnBy: s.withdrawnBy }),
  };
}

/** A signer as a client reads it. */
export type SignerView = Omit<SignerRecord, 'attestation'>;

/** Reads {@link signerToWire}'s output. */
export function signerFromWire(map: WireMap): SignerView {
  const p = new Params(map).only('keyId', 'replica', 'keyType', 'publicKey', 'attestedAt', 'expiresAt', 'withdrawnAt', 'withdrawnBy');
  const withdrawnAt = p.optionalInteger('withdrawnAt');
  const withdrawnBy = p.optionalString('withdrawnBy', 256);
  return {
    keyId: p.string('keyId', 64), replica: p.string('replica', 128), keyType: p.oneOf('keyType', ['ed25519', 'p256'] as const),
    publicKey: p.string('publicKey', 256), attestedAt: p.integer('attestedAt'), expiresAt: p.integer('expiresAt'),
    ...(withdrawnAt === undefined ? {} : { withdrawnAt, withdrawnBy: withdrawnBy ?? '' }),
  };
}

/** Reads a member record from a wire map. */
export function memberFromWire(map: WireMap): MemberRecord {
  const p = new Params(map).only('identifier', 'attributes', 'role', 'addedBy', 'addedAt', 'ticketHash', 'mayGrant', 'mayGrantRelays');
  const role = p.string('role', 16);
  if (!ROLES.includes(role as Role)) throw new InvalidInputError('authority', `unknown role "${role}"`);
  const ticketHash = p.optionalString('ticketHash', 64);
  const mayGrant = p.optionalStringList('mayGrant');
  const mayGrantRelays = p.optionalStringList('mayGrantRelays');
  return {
    identifier: p.string('identifier', 256), attributes: p.optionalStringMap('attributes') ?? {}, role: role as Role,
    addedBy: p.string('addedBy', 256), addedAt: p.integer('addedAt'), ...(ticketHash === undefined ? {} : { ticketHash }),
    ...(mayGrant === undefined && mayGrantRelays === undefined ? {} : { grants: { attributes: mayGrant ?? [], relays: mayGrantRelays ?? [] } }),
  };
}

/** An issued credential as a wire map. */
export function credentialToWire(c: IssuedCredential): WireMap {
  return { credential: c.credential, attestation: c.attestation, createdAt: c.createdAt, expiresAt: c.expiresAt, credentialHash: c.credentialHash };
}

/** Reads a credential from a wire map. */
export function credentialFromWire(map: WireMap): FetchedCredential {
  const p = new Params(map).only('credential', 'attestation', 'createdAt', 'expiresAt', 'credentialHash');
  const credentialHash = p.string('credentialHash', 64);
  if (!/^[0-9a-f]{64}$/.test(credentialHash)) throw new InvalidInputError('authority', 'credentialHash must be 64 lowercase hex characters');
  return {
    credential: p.bytes('credential'), attestation: p.bytes('attestation'),
    createdAt: p.integer('createdAt'), expiresAt: p.integer('expiresAt'), credentialHash,
  };
}

/** Reads an audit record from a wire map (the services send {@link AuditEntry} values as they are). */
export function auditEntryFromWire(map: WireMap): AuditEntry {
  const p = new Params(map).only('version', 'seq', 'time', 'type', 'actor', 'fields', 'prevHash', 'hash');
  const type = p.string('type', 32);
  if (!AUDIT_RECORD_TYPES.includes(type as AuditRecordType)) throw new InvalidInputError('authority', `unknown audit record type "${type}"`);
  return {
    version: p.integer('version'), seq: p.integer('seq'), time: p.integer('time'), type: type as AuditRecordType,
    actor: p.string('actor', 256), fields: p.nested('fields') as AuditEntry['fields'], prevHash: p.string('prevHash', 64), hash: p.string('hash', 64),
  };
}
