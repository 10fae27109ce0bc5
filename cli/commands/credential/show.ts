import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { credentialFromFlags, describeUnverified } from '../../credential-text.js';
import { fields } from '../../format.js';

const iso = (s: number): string => (Number.isFinite(s) ? new Date(s * 1000).toISOString() : 'invalid');

/** `symbolon credential show`: decodes a credential without trusting it. */
export default class CredentialShow extends BaseCommand {
  static override summary = 'Decode a credential without verifying it.';
  static override description = 'Prints what a credential claims (issuer, subject, attributes, validity, signing key) WITHOUT checking any signature: use credential verify to decide whether to trust it.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --file analysis.credential',
    '<%= config.bin %> <%= command.id %> --credential "$(cat analysis.credential)" --json',
  ];
  static override flags = {
    credential: Flags.string({ description: 'the credential text (base64)' }),
    file: Flags.string({ description: 'a file holding the credential text' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CredentialShow);
    const claims = describeUnverified(credentialFromFlags(flags));
    this.log('Credential (NOT verified)');
    this.log(fields([
      ['issuer', claims.issuer], ['subject', claims.subject], ['created', iso(claims.createdAt)], ['expires', iso(claims.expiresAt)],
      ['signing key', claims.signingKey ? `${claims.signingKey.type} ${claims.signingKey.publicKey}` : 'unreadable'],
      ...Object.entries(claims.attributes).map(([k, v]): [string, string] => [`attribute ${k}`, v]),
    ]));
    return {
      verified: false, issuer: claims.issuer, subject: claims.subject, attributes: claims.attributes,
      createdAt: iso(claims.createdAt), expiresAt: iso(claims.expiresAt),
      signingKey: claims.signingKey === null ? null : { ...claims.signingKey, attestedUntil: iso(claims.signingKey.attestedUntil) },
    };
  }
}
