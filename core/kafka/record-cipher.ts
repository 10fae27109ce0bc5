import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KafkaProtocolError } from './kafka-error.js';

/** The record header naming the data key that encrypted a record's value (hex of the 16-byte key id). */
export const KEY_HEADER = 'symbolon-key';
/** First byte of an encrypted value. */
export const SEALED_VALUE_VERSION = 1;
const NONCE = 12;
const TAG = 16;

/** A data key: AES-256-GCM key material for one topic, named by a random 16-byte id. */
export interface DataKey {
  /** 32 hex characters. */
  readonly id: string;
  readonly topic: string;
  /** 32 bytes. Never logged, never in --json. */
  readonly secret: Buffer;
  /** When it was made (ms since the epoch). */
  readonly createdAt: number;
  /** How long it is kept after `createdAt`, in ms, when not the ring's default (`--key-retention`). */
  readonly retentionMs?: number;
}

/** The record header listing the JSON fields encrypted one by one (`--encrypted-field`), comma-separated. */
export const FIELDS_HEADER = 'symbolon-fields';
/** Prefix of an encrypted JSON field's string value (then base64 of a sealed value). */
export const SEALED_FIELD_PREFIX = 'symbolon:1:';

function aad(topic: string, keyId: string, field?: string): Buffer {
  return Buffer.from(`symbolon-kafka-record-v1\0${topic}\0${keyId}${field === undefined ? '' : `\0${field}`}`, 'utf8');
}

/**
 * Encrypts a record value: `0x01 || nonce (12) || AES-256-GCM ciphertext || tag (16)`,
 * the topic and key id bound as associated data (a value moved to another topic does not
 * decrypt). The nonce is random per record.
 */
export function sealValue(key: DataKey, value: Uint8Array, field?: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
  cipher.setAAD(aad(key.topic, key.id, field));
  const out = Buffer.allocUnsafe(1 + NONCE + value.length + TAG);
  out[0] = SEALED_VALUE_VERSION;
  nonce.copy(out, 1);
  const n = cipher.update(value).copy(out, 1 + NONCE);
  cipher.final();
  cipher.getAuthTag().copy(out, 1 + NONCE + n);
  return out;
}

/** Decrypts a value sealed by {@link sealValue}; throws KafkaProtocolError when it was altered or the key is wrong. */
export function openValue(key: DataKey, sealed: Uint8Array, field?: string): Buffer {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== SEALED_VALUE_VERSION) throw new KafkaProtocolError('encrypted record value has an unknown format');
  const body = sealed.subarray(1 + NONCE, sealed.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key.secret, sealed.subarray(1, 1 + NONCE));
  decipher.setAAD(aad(key.topic, key.id, field));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const head = decipher.update(body);
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch (cause) {
    throw new KafkaProtocolError('encrypted record value does not verify (altered, or not for this topic and key)', { cause });
  }
}

/**
 * Encrypts the named top-level fields of a JSON object value, each as the string
 * `symbolon:1:` + base64(sealed JSON text of the field), the field name bound as associated
 * data too. Returns the new value and the fields it encrypted (in `fields` order), or
 * undefined when the value is not a JSON object (the caller then encrypts the whole value).
 * The value is re-serialized (`JSON.stringify`): whitespace is not kept.
 */
export function sealFields(key: DataKey, value: Uint8Array, fields: readonly string[]): { value: Buffer; fields: string[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.length).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  const done: string[] = [];
  for (const field of fields) {
    if (!Object.hasOwn(obj, field)) continue;
    obj[field] = SEALED_FIELD_PREFIX + sealValue(key, Buffer.from(JSON.stringify(obj[field]), 'utf8'), field).toString('base64');
    done.push(field);
  }
  return { value: Buffer.from(JSON.stringify(obj), 'utf8'), fields: done };
}

/** Decrypts the fields `fields` of a value sealed by {@link sealFields}; throws KafkaProtocolError when one does not verify. */
export function openFields(key: DataKey, value: Uint8Array, fields: readonly string[]): Buffer {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.length).toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new KafkaProtocolError('a record with encrypted fields is not JSON', { cause });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new KafkaProtocolError('a record with encrypted fields is not a JSON object');
  for (const field of fields) {
    const text = obj[field];
    if (typeof text !== 'string' || !text.startsWith(SEALED_FIELD_PREFIX)) throw new KafkaProtocolError(`encrypted field ${field} is missing or not sealed`);
    const plain = openValue(key, Buffer.from(text.slice(SEALED_FIELD_PREFIX.length), 'base64'), field);
    try {
      obj[field] = JSON.parse(plain.toString('utf8'));
    } catch (cause) {
      throw new KafkaProtocolError(`encrypted field ${field} does not hold JSON`, { cause });
    }
  }
  return Buffer.from(JSON.stringify(obj), 'utf8');
}
