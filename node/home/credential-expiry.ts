import { decodeStrict } from '../../core/cbor.js';
import type { PresentedCredential } from '../../core/credential/credential.js';
import { isObject } from './json-file.js';

/**
 * When a held credential expires (ms since the epoch), read without checking any
 * signature (for display: the node verifies before it uses one); undefined when it does not
 * decode.
 */
export function credentialExpiresAt(presented: PresentedCredential): number | undefined {
  try {
    const outer = decodeStrict<unknown>(presented.credential, 'credential', 'credential');
    if (!isObject(outer) || !(outer.data instanceof Uint8Array)) return undefined;
    const data = decodeStrict<unknown>(outer.data, 'credential', 'credential data');
    return isObject(data) && typeof data.expiresAt === 'number' ? data.expiresAt * 1000 : undefined;
  } catch {
    return undefined;
  }
}
