import { encodePresentedCredential } from '../../../core/credential/credential.js';
import type { DaemonService } from '../service.js';

/** What `security.info` returns. */
export interface SecurityInfo {
  readonly identity: string;
  readonly identifier: string;
  readonly vault: string;
  /** Hex of the attested X25519 secure-channel key. */
  readonly secureChannelKey: string;
  readonly trustedAuthorities: readonly string[];
  /** The node's credential, when it holds one that verifies now. */
  readonly credential: { readonly issuer: string; readonly attributes: Readonly<Record<string, string>>; readonly expiresAt: number } | null;
  /** Base64 of the node's credential as held (verified or not), or null. */
  readonly credentialText: string | null;
}

/**
 * `security.info` (the node's identity, keys, trusted authorities and credential) and
 * `security.reload` (re-read the home's projects after a project or enrollment command).
 */
export const securityService: DaemonService = {
  name: 'security',
  start(ctx) {
    const { security } = ctx;
    const info = async (): Promise<SecurityInfo> => {
      const key = await security.secureChannelKey();
      const verified = security.verifiedCredential();
      const held = security.credential();
      return {
        identity: security.identityName,
        identifier: security.identifier,
        vault: security.keyHandle.vault,
        secureChannelKey: Buffer.from(key.publicKey).toString('hex'),
        trustedAuthorities: security.trustedAuthorityIdentifiers(),
        credential: verified ? { issuer: verified.issuer, attributes: verified.attributes, expiresAt: verified.expiresAt } : null,
        credentialText: held ? Buffer.from(encodePresentedCredential(held)).toString('base64') : null,
      };
    };
    ctx.control.register('security.info', info);
    ctx.control.register('security.reload', async () => {
      security.reload();
      return info();
    });
  },
};
