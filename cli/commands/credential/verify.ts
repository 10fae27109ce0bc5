import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { verifyCredential } from '../../../core/credential/credential.js';
import { NotFoundError } from '../../../core/errors.js';
import type { Identity } from '../../../core/identity/identity.js';
import { nowSeconds } from '../../../core/identity/seconds.js';
import { BaseCommand } from '../../base-command.js';
import { credentialFromFlags, describeUnverified } from '../../credential-text.js';
import { fields } from '../../format.js';
import { identityNames, loadIdentity, readIdentityFile } from '../../../node/home/identity-registry.js';
import { REGISTRY_NAME_RE } from '../../../node/home/registry-files.js';

/** `symbolon credential verify`: checks a credential against a trusted issuer. */
export default class CredentialVerify extends BaseCommand {
  static override summary = 'Verify a credential against a trusted issuer.';
  static override description = 'Checks the issuer\'s attestation of its credential-signing key, the signature, the subject (--subject, default the subject the credential names) and the validity window (60 s clock drift allowed). --issuer is an identity of this home or a file with a public identity (identity show --json). Prints the attributes and expiry, or exits non-zero with the precise reason.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --file analysis.credential --issuer authority',
    '<%= config.bin %> <%= command.id %> --credential "$(cat analysis.credential)" --issuer ./authority.json --subject I0123456789abcdef0123456789abcdef',
  ];
  static override flags = {
    credential: Flags.string({ description: 'the credential text (base64)' }),
    file: Flags.string({ description: 'a file holding the credential text' }),
    issuer: Flags.string({ description: 'trusted issuer: an identity name of this home, or an identity JSON file', required: true }),
    subject: Flags.string({ description: 'the identifier the credential must be about (default: the one it names)' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CredentialVerify);
    const presented = credentialFromFlags(flags);
    const issuer = resolveIssuer(this.home, flags.issuer);
    const subject = flags.subject ?? describeUnverified(presented).subject;
    const verified = verifyCredential(presented, { subject, trustedIssuers: new Map([[issuer.identifier, issuer]]), now: nowSeconds() });
    const expiresAt = new Date(verified.expiresAt * 1000).toISOString();
    this.log('valid');
    this.log(fields([
      ['issuer', verified.issuer], ['subject', verified.subject], ['expires', expiresAt],
      ...Object.entries(verified.attributes).map(([k, v]): [string, string] => [`attribute ${k}`, v]),
    ]));
    return {
      valid: true, issuer: verified.issuer, subject: verified.subject, attributes: verified.attributes,
      createdAt: new Date(verified.createdAt * 1000).toISOString(), expiresAt,
    };
  }
}

/** An identity of the home by that name, else a path to an identity file. */
function resolveIssuer(home: BaseCommand['home'], value: string): Identity {
  if (REGISTRY_NAME_RE.test(value) && identityNames(home).includes(value)) return loadIdentity(home, value).identity;
  if (!existsSync(value)) throw new NotFoundError('cli', `issuer '${value}' is neither an identity of this home nor an identity file`);
  return readIdentityFile(value);
}
