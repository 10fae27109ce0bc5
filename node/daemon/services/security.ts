import { encodePresentedCredential } from '../../../core/credential/credential.js';
import { isoTime } from '../../api/iso-time.js';
import type { SecurityInfo } from '../../api/security-info.js';
import type { DaemonService } from '../service.js';

/**
 * `security.info` (the node's identity, keys, trusted authorities and credential) and
 * `security.reload` (re-read the home's projects after a project or enrollment command).
 */
export const securityService: DaemonService = {
  name: 'security',
  start(ctx) {
    const { identity, credentials } = ctx;
    const info = async (): Promise<SecurityInfo> => {
      const key = await identity.secureChannelKey();
      const verified = credentials.verifiedCredential();
      const held = credentials.credential();
      return {
        identity: identity.name,
        identifier: identity.identifier,
        vault: identity.keyHandle.vault,
        secureChannelKey: Buffer.from(key.publicKey).toString('hex'),
        trustedAuthorities: credentials.trustedAuthorityIdentifiers(),
        trust: credentials.trust().projects,
        credential: verified ? { issuer: verified.issuer, attributes: verified.attributes, expiresAt: isoTime(verified.expiresAt * 1000) } : null,
        credentialText: held ? Buffer.from(encodePresentedCredential(held)).toString('base64') : null,
      };
    };
    ctx.api.register('security.info', info);
    ctx.api.register('security.reload', async () => {
      credentials.reload();
      return info();
    });
  },
};
