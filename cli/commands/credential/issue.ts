import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { issueAs } from '../../../node/home/credential-issuer.js';
import { credentialToText, parseAttributePairs, parseTtlMs } from '../../credential-text.js';

/** `symbolon credential issue --as ISSUER --for IDENTIFIER --attribute k=v`: signs a credential locally. */
export default class CredentialIssue extends BaseCommand {
  static override summary = 'Issue a credential about an identifier, signed by one of this home\'s identities.';
  static override description = 'Signs a credential (subject, attributes, validity) with the credential-signing purpose key of identity --as (kept in the home\'s file vault and attested by its primary key, so a KMS or HSM key signs only the attestation). Prints it as one base64 line, or writes it to --output (mode 0600). Verifiers must trust the issuer\'s identity.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --as authority --for I0123456789abcdef0123456789abcdef --attribute component=db --ttl 10m',
    '<%= config.bin %> <%= command.id %> --as authority --for I0123456789abcdef0123456789abcdef --attribute component=analysis --attribute env=prod --ttl 12h --output analysis.credential',
  ];
  static override flags = {
    as: Flags.string({ description: 'issuing identity of this home', required: true }),
    for: Flags.string({ description: 'identifier of the subject (I + 32 hex)', required: true }),
    attribute: Flags.string({ description: 'attribute key=value (repeatable)', multiple: true, default: [] }),
    ttl: Flags.string({ description: 'validity: 90s, 10m, 12h, 30d', default: '10m' }),
    output: Flags.string({ description: 'write the credential to this file instead of printing it' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(CredentialIssue);
    const attributes = parseAttributePairs(flags.attribute);
    const ttlMs = parseTtlMs(flags.ttl);
    const issued = await issueAs(this.home, flags.as, { subject: flags.for, attributes, ttlMs });
    const text = credentialToText(issued);
    if (flags.output !== undefined) {
      try {
        writeFileSync(flags.output, `${text}\n`, { mode: 0o600 });
      } catch (cause) {
        throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
      }
      this.log(`Credential for ${flags.for} written to ${flags.output} (expires ${new Date(issued.expiresAt).toISOString()})`);
    } else {
      this.log(text);
    }
    return {
      credential: text, issuer: issued.issuer, subject: flags.for, attributes,
      expiresAt: new Date(issued.expiresAt).toISOString(), ...(flags.output !== undefined ? { output: flags.output } : {}),
    };
  }
}
