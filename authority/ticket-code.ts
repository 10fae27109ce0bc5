import { randomBytes } from 'node:crypto';
import { sha256 } from '../core/cbor.js';
import { assertBytes } from '../core/errors.js';

/** Length in bytes of a ticket's one-time code. */
export const TICKET_CODE_LENGTH = 32;

/** A fresh one-time ticket code: 32 bytes from the operating system's CSPRNG. */
export function generateTicketCode(): Uint8Array {
  return new Uint8Array(randomBytes(TICKET_CODE_LENGTH));
}

/**
 * The hash under which a ticket is stored and audited: lowercase hex of SHA-256(code).
 * The code itself is never stored or logged.
 */
export function ticketCodeHash(code: Uint8Array): string {
  assertBytes(code, TICKET_CODE_LENGTH, 'ticket code', 'authority');
  return Buffer.from(sha256(code)).toString('hex');
}
