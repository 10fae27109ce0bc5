import { randomBytes } from 'node:crypto';
import { encodeDeterministic, sha256 } from '../cbor.js';
import { InvalidInputError, SymbolonError } from '../errors.js';
import { DEFAULT_MAX_DRIFT_SECONDS } from '../identity/change-history.js';
import { assertIdentifier } from '../identity/identifier.js';
import type { Identity } from '../identity/identity.js';
import { isSeconds } from '../identity/identity-change.js';
import { verifyPurposeKeyAttestation, type PurposeKeyAttestation } from '../identity/purpose-key-attestation.js';
import { assertSeconds, assertTtl, nowSeconds } from '../identity/seconds.js';
import { checkShape, decodeCanonical, encodeEnvelope, envelopeFrom, latin1, MAX_SIGNED_STRUCTURE_BYTES } from '../identity/signed-structure.js';
import { LruCache } from '../vault/lru-cache.js';
import type { KeyHandle, PublicKey } from '../vault/keys.js';
import type { SigningVault } from '../vault/signing-vault.js';
import { verifySignature } from '../vault/verify.js';
import { attributesProblem, checkedAttributes } from './attributes.js';
import { CredentialVerificationError, type CredentialFailureReason } from './credential-error.js';
import { signerKeyId } from './signer-key.js';

/** Version of the credential data format. */
export const CREDENTIAL_VERSION = 1;
/** Length of a credential's random id. */
export const CREDENTIAL_ID_LENGTH = 16;

/** A decoded credential: what it says, the digest its signature covers, the signature. */
interface DecodedCredential {
  readonly data: Omit<VerifiedCredential, 'signerKey'>;
  readonly digest: Uint8Array;
  readonly signature: Uint8Array;
}
/** Most decoded credentials remembered, and the largest one remembered (bytes). */
const DECODED_CAPACITY = 1024;
const DECODED_MAX_BYTES = 4096;
/**
 * Decoded credentials keyed by their exact bytes: decoding and hashing depend on nothing
 * else. Issuer trust, the attestation, the signature, subject and validity windows are
 * checked on every call.
 */
const decodedCredentials = new LruCache<string, DecodedCredential>(DECODED_CAPACITY);

/** A credential as sent: the signed credential and the issuer's credential-signing key attestation. */
export interface PresentedCredential {
  readonly credential: Uint8Array;
  readonly attestation: Uint8Array;
}

/** What a verified credential says. */
export interface VerifiedCredential {
  /** Hex of the credential's 16 random id bytes: two issuances never produce the same credential. */
  readonly id: string;
  readonly issuer: string;
  readonly subject: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly expiresAt: number;
  /**
   * The id ({@link signerKeyId}) of the attested credential-signing key that signed it: one
   * of possibly several valid at once (one per project node replica); a withdrawn one is
   * refused with `withdrawn-signer`.
   */
  readonly signerKey: string;
}

/** Input of {@link issueCredential}. */
export interface IssueCredentialOptions {
  /** The issuing identity (an authority). */
  readonly issuer: Identity;
  /** The vault and handle of the issuer's credential-signing purpose key. */
  readonly signingVault: SigningVault;
  readonly signingKey: KeyHandle;
  /** The issuer's attestation of that key (purpose `credential-signing`). */
  readonly attestation: Uint8Array;
  /** The identifier the credential is about. */
  readonly subject: string;
  readonly attributes: Record<string, string>;
  /** Validity in seconds (capped at the attestation's expiry). */
  readonly ttl: number;
  /** Issue time in seconds; default now. */
  readonly now?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link verifyCredential}. */
export interface VerifyCredentialOptions {
  /** The identifier the credential must be about: the channel's authenticated peer. */
  readonly subject: string;
  /** Trusted authorities by identifier. */
  readonly trustedIssuers: ReadonlyMap<string, Identity>;
  /** Current time in seconds. */
  readonly now: number;
  /** Tolerated clock difference; default 60 s. */
  readonly maxDriftSeconds?: number;
  /**
   * True when `issuer` withdrew its attestation of signing key `signerKey` (the node's
   * revocation lists); such a credential is refused with `withdrawn-signer`.
   */
  readonly isWithdrawnSigner?: (issuer: string, signerKey: string) => boolean;
}

/**
 * Issues a credential: checks the attestation and attributes, signs
 * SHA-256(deterministic CBOR of { kind, version, id, subject, issuer, attributes, createdAt,
 * expiresAt }) with the credential-signing key, and checks the signature against the
 * attested key. Returns the credential with the attestation to send along.
 */
export async function issueCredential(options: IssueCredentialOptions): Promise<PresentedCredential & { expiresAt: number }> {
  const { issuer, subject, attestation } = options;
  assertIdentifier(subject, 'subject');
  const attributes = checkedAttributes(options.attributes);
  const createdAt = options.now ?? nowSeconds();
  assertSeconds(createdAt, 'now', 'credential');
  assertTtl(options.ttl, 'ttl', 'credential');
  let attested: PurposeKeyAttestation;
  try {
    attested = verifyPurposeKeyAttestation(attestation, issuer, 'credential-signing', createdAt, { maxDriftSeconds: 0 });
  } catch (cause) {
    throw new InvalidInputError('credential', `cannot issue: ${(cause as Error).message}`, { cause });
  }
  const expiresAt = Math.min(createdAt + options.ttl, attested.expiresAt);
  const data = encodeDeterministic({
    kind: 'credential', version: CREDENTIAL_VERSION, id: new Uint8Array(randomBytes(CREDENTIAL_ID_LENGTH)),
    subject, issuer: issuer.identifier, attributes, createdAt, expiresAt,
  });
  const digest = sha256(data);
  const signature = await options.signingVault.signDigest(options.signingKey, digest, { signal: options.signal });
  if (!verifySignature(attested.publicKey as PublicKey, digest, signature)) {
    throw new InvalidInputError('credential', `key ${options.signingKey.id} is not the attested credential-signing key of ${issuer.identifier}`);
  }
  return { credential: encodeEnvelope({ data, signature: signature.bytes }), attestation, expiresAt };
}

/**
 * Verifies a presented credential: decodes it, finds the issuer among `trustedIssuers`,
 * verifies the issuer's attestation of the credential-signing key, the signature, the
 * subject, and the validity windows (within `maxDriftSeconds`).
 * Throws CredentialVerificationError with the reason.
 */
export function verifyCredential(presented: PresentedCredential, options: VerifyCredentialOptions): VerifiedCredential {
  const { now } = options;
  assertSeconds(now, 'now', 'credential');
  const drift = options.maxDriftSeconds ?? DEFAULT_MAX_DRIFT_SECONDS;
  const fail = (reason: CredentialFailureReason, why: string, cause?: unknown): never => {
    throw new CredentialVerificationError(reason, `credential: ${why}`, cause === undefined ? undefined : { cause });
  };
  if (!presented || !(presented.credential instanceof Uint8Array) || !(presented.attestation instanceof Uint8Array)) return fail('malformed', 'credential and attestation bytes required');
  if (presented.credential.length > MAX_SIGNED_STRUCTURE_BYTES) return fail('malformed', 'too large');
  const decoded = decodeCredential(presented.credential);
  if (typeof decoded === 'string') return fail('malformed', decoded);
  const { data, digest, signature } = decoded;
  const issuer = options.trustedIssuers.get(data.issuer);
  if (!issuer || issuer.identifier !== data.issuer) return fail('untrusted-issuer', `issuer ${data.issuer} is not a trusted authority`);
  let attested: PurposeKeyAttestation;
  try {
    attested = verifyPurposeKeyAttestation(presented.attestation, issuer, 'credential-signing', now, { maxDriftSeconds: drift });
  } catch (cause) {
    if (!(cause instanceof SymbolonError)) throw cause;
    return fail('bad-attestation', cause.message, cause);
  }
  const key = attested.publicKey as PublicKey;
  if (!verifySignature(key, digest, { type: key.type, bytes: signature })) {
    return fail('bad-signature', `signature does not verify with the attested key of ${data.issuer}`);
  }
  if (data.createdAt + drift < attested.createdAt || data.createdAt > attested.expiresAt) {
    return fail('bad-attestation', 'issued outside the validity of the signing key attestation');
  }
  const signerKey = signerKeyId(key);
  if (options.isWithdrawnSigner?.(data.issuer, signerKey) === true) {
    return fail('withdrawn-signer', `${data.issuer} withdrew its signing key ${signerKey}`);
  }
  if (data.subject !== options.subject) return fail('wrong-subject', `about ${data.subject}, not ${options.subject}`);
  if (now + drift < data.createdAt) return fail('not-yet-valid', `not valid before ${data.createdAt} (now ${now})`);
  if (now >= data.expiresAt + drift) return fail('expired', `expired at ${data.expiresAt} (now ${now})`);
  return { ...data, signerKey };
}

/** Encodes a presented credential for the wire (deterministic CBOR map). */
export function encodePresentedCredential(presented: PresentedCredential): Uint8Array {
  return encodeDeterministic({ credential: presented.credential, attestation: presented.attestation });
}

/** Decodes {@link encodePresentedCredential}'s output; CredentialVerificationError (malformed) otherwise. */
export function decodePresentedCredential(bytes: Uint8Array): PresentedCredential {
  const value = decodeCanonical(bytes, 'credential', 'presented credential');
  const problem = typeof value === 'string' ? value : checkShape(value, ['credential', 'attestation'], ['credential', 'attestation']);
  const v = value as Record<string, unknown>;
  if (problem || !(v.credential instanceof Uint8Array) || !(v.attestation instanceof Uint8Array)) {
    throw new CredentialVerificationError('malformed', `presented credential: ${problem ?? 'fields must be bytes'}`);
  }
  return { credential: v.credential, attestation: v.attestation };
}

function decodeCredential(bytes: Uint8Array): DecodedCredential | string {
  const key = bytes.length <= DECODED_MAX_BYTES ? latin1(bytes) : undefined;
  const known = key === undefined ? undefined : decodedCredentials.get(key);
  if (known) return known;
  const outer = decodeCanonical(bytes, 'credential', 'credential');
  if (typeof outer === 'string') return outer;
  const envelope = envelopeFrom(outer, false);
  if (typeof envelope === 'string') return envelope;
  const data = decodeCredentialData(envelope.data);
  if (typeof data === 'string') return data;
  const decoded: DecodedCredential = Object.freeze({ data: Object.freeze(data), digest: sha256(envelope.data), signature: envelope.signature });
  if (key !== undefined) decodedCredentials.set(key, decoded);
  return decoded;
}

function decodeCredentialData(bytes: Uint8Array): Omit<VerifiedCredential, 'signerKey'> | string {
  const value = decodeCanonical(bytes, 'credential', 'credential data');
  if (typeof value === 'string') return value;
  const fields = ['kind', 'version', 'id', 'subject', 'issuer', 'attributes', 'createdAt', 'expiresAt'];
  const shape = checkShape(value, fields, fields);
  if (shape) return shape;
  const v = value as Record<string, unknown>;
  if (v.kind !== 'credential') return 'not a credential';
  if (v.version !== CREDENTIAL_VERSION) return `unsupported version ${String(v.version)}`;
  if (!(v.id instanceof Uint8Array) || v.id.length !== CREDENTIAL_ID_LENGTH) return `id must be ${CREDENTIAL_ID_LENGTH} bytes`;
  if (typeof v.subject !== 'string' || typeof v.issuer !== 'string') return 'subject and issuer must be strings';
  const problem = attributesProblem(v.attributes);
  if (problem) return problem;
  if (!isSeconds(v.createdAt) || !isSeconds(v.expiresAt)) return 'timestamps must be whole seconds';
  if (v.expiresAt <= v.createdAt) return 'expiresAt is not after createdAt';
  return {
    id: Buffer.from(v.id).toString('hex'), issuer: v.issuer, subject: v.subject, attributes: Object.freeze({ ...(v.attributes as Record<string, string>) }),
    createdAt: v.createdAt, expiresAt: v.expiresAt,
  };
}
