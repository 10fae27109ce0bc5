import type { IsoTime } from './iso-time.js';

/** What `security.info` and `security.reload` return. */
export interface SecurityInfo {
  readonly identity: string;
  readonly identifier: string;
  readonly vault: string;
  /** Hex of the attested X25519 secure-channel key. */
  readonly secureChannelKey: string;
  readonly trustedAuthorities: readonly string[];
  /** The projects whose authorities the node trusts; `own` for its own project (default rules accept only that one). */
  readonly trust: ReadonlyArray<{ readonly name: string; readonly authority: string; readonly own: boolean }>;
  /** The node's credential, when it holds one that verifies now; `expiresAt` in ISO 8601. */
  readonly credential: { readonly issuer: string; readonly attributes: Readonly<Record<string, string>>; readonly expiresAt: IsoTime } | null;
  /** Base64 of the node's credential as held (verified or not), or null. */
  readonly credentialText: string | null;
}
