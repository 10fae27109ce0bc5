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
}

function aad(topic: string, keyId: string): Buffer {
  return Buffer.from(`symbolon-kafka-record-v1\0${topic}\0${keyId}`, 'utf8');
}

/**
 * Encrypts a record value: `0x01 || nonce (12) || AES-256-GCM ciphertext || tag (16)`,
 * the topic and key id bound as associated data (a value moved to another topic does not
 * decrypt). The nonce is random per record.
 */
export function sealValue(key: DataKey, value: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
  cipher.setAAD(aad(key.topic, key.id));
  const out = Buffer.allocUnsafe(1 + NONCE + value.length + TAG);
  out[0] = SEALED_VALUE_VERSION;
  nonce.copy(out, 1);
  const n = cipher.update(value).copy(out, 1 + NONCE);
  cipher.final();
  cipher.getAuthTag().copy(out, 1 + NONCE + n);
  return out;
}

/** Decrypts a value sealed by {@link sealValue}; throws KafkaProtocolError when it was altered or the key is wrong. */
export function openValue(key: DataKey, sealed: Uint8Array): Buffer {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== SEALED_VALUE_VERSION) throw new KafkaProtocolError('encrypted record value has an unknown format');
  const body = sealed.subarray(1 + NONCE, sealed.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key.secret, sealed.subarray(1, 1 + NONCE));
  decipher.setAAD(aad(key.topic, key.id));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const head = decipher.update(body);
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch (cause) {
    throw new KafkaProtocolError('encrypted record value does not verify (altered, or not for this topic and key)', { cause });
  }
}
