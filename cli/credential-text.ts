import { readFileSync } from 'node:fs';
import { decodeStrict } from '../core/cbor.js';
import { decodePresentedCredential, encodePresentedCredential, type PresentedCredential } from '../core/credential/credential.js';
import { InvalidInputError, IoError } from '../core/errors.js';
import { isObject } from '../node/home/json-file.js';

/** Longest credential text accepted (base64 characters). */
const MAX_TEXT = 64 * 1024;

/** A presented credential as one line of base64 (what `credential issue` prints). */
export function credentialToText(presented: PresentedCredential): string {
  return Buffer.from(encodePresentedCredential(presented)).toString('base64');
}

/** Parses credential text (base64, surrounding whitespace ignored); throws InvalidInputError or CredentialVerificationError. */
export function credentialFromText(text: string): PresentedCredential {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TEXT || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new InvalidInputError('credential', 'credential text must be one line of base64 (the output of: symbolon credential issue)');
  }
  return decodePresentedCredential(new Uint8Array(Buffer.from(trimmed, 'base64')));
}

/** Reads credential text from `--credential TEXT` or `--file FILE` (exactly one). */
export function credentialFromFlags(flags: { credential?: string; file?: string }): PresentedCredential {
  if ((flags.credential === undefined) === (flags.file === undefined)) throw new InvalidInputError('cli', 'give exactly one of --credential TEXT or --file FILE');
  if (flags.credential !== undefined) return credentialFromText(flags.credential);
  let text: string;
  try {
    text = readFileSync(flags.file as string, 'utf8');
  } catch (cause) {
    throw new IoError('cli', `cannot read credential file '${flags.file}': ${(cause as Error).message}`, { cause });
  }
  return credentialFromText(text);
}

/** What a credential claims, decoded without checking any signature. */
export interface UnverifiedCredential {
  readonly version: unknown;
  readonly issuer: string;
  readonly subject: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The issuer's credential-signing key as its attestation claims it. */
  readonly signingKey: { readonly type: string; readonly publicKey: string; readonly attestedUntil: number } | null;
}

function envelopeData(bytes: Uint8Array, what: string): Record<string, unknown> {
  const outer = decodeStrict<unknown>(bytes, 'credential', what);
  if (!isObject(outer) || !(outer.data instanceof Uint8Array)) throw new InvalidInputError('credential', `${what} is not a signed envelope`);
  const data = decodeStrict<unknown>(outer.data, 'credential', `${what} data`);
  if (!isObject(data)) throw new InvalidInputError('credential', `${what} data is not a map`);
  return data;
}

/** Decodes what a credential says, trusting nothing (for `credential show`). */
export function describeUnverified(presented: PresentedCredential): UnverifiedCredential {
  const data = envelopeData(presented.credential, 'credential');
  const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
  const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
  const attributes: Record<string, string> = {};
  if (isObject(data.attributes)) for (const [k, v] of Object.entries(data.attributes)) attributes[k] = str(v);
  let signingKey: UnverifiedCredential['signingKey'] = null;
  try {
    const attestation = envelopeData(presented.attestation, 'attestation');
    const key = attestation.publicKey;
    if (isObject(key) && key.bytes instanceof Uint8Array) {
      signingKey = { type: str(key.type), publicKey: Buffer.from(key.bytes).toString('hex'), attestedUntil: num(attestation.expiresAt) };
    }
  } catch {
    signingKey = null;
  }
  return {
    version: data.version, issuer: str(data.issuer), subject: str(data.subject), attributes,
    createdAt: num(data.createdAt), expiresAt: num(data.expiresAt), signingKey,
  };
}

/** Parses `--attribute k=v` pairs; the value may contain `=`. */
export function parseAttributePairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidInputError('cli', `attribute must look like key=value, got ${JSON.stringify(pair.slice(0, 40))}`);
    const key = pair.slice(0, at);
    if (key in out) throw new InvalidInputError('cli', `attribute '${key}' is given twice`);
    out[key] = pair.slice(at + 1);
  }
  return out;
}

const TTL_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a validity such as `90s`, `10m`, `12h`, `30d` into milliseconds (whole seconds, 1 s to 366 days). */
export function parseTtlMs(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * TTL_UNITS_MS[m[2]!]! : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1000 || ms > 366 * 86_400_000) {
    throw new InvalidInputError('cli', `invalid validity '${text}': use e.g. 90s, 10m, 12h, 30d (at most 366d)`);
  }
  return ms;
}
