import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readAuthorityIdentityFile, verifyAuditFile } from '../../../node/home/project-audit.js';

/** `symbolon audit verify FILE --authority IDENTITY_FILE`: checks an audit export offline. */
export default class AuditVerify extends BaseCommand {
  static override summary = 'Verify an audit export offline with only the authority\'s public identity.';
  static override description = 'Recomputes every record hash and chain link, checks that sequence numbers have no gaps, that checkpoints are signed by the authority and that the last record is covered by one. Prints the number of records verified, or the first record that fails and why (exit code non-zero). No node, network or database is used. IDENTITY_FILE: the authority\'s `symbolon identity show --json`, or the project record (`symbolon project show --identity --json`, or <home>/projects/NAME.json).';
  static override examples = ['<%= config.bin %> <%= command.id %> audit.jsonl --authority bank-authority.json'];
  static override args = { file: Args.string({ description: 'the JSONL export', required: true }) };
  static override flags = { authority: Flags.string({ description: 'file with the authority\'s public identity', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(AuditVerify);
    const authority = readAuthorityIdentityFile(flags.authority);
    const result = verifyAuditFile(args.file, authority);
    if (!result.ok) {
      const where = result.failedAt > 0 ? `record ${result.failedAt}` : 'the export';
      throw new InvalidInputError('authority', `verification failed at ${where} (line ${result.line}): ${result.reason}`);
    }
    this.log(`OK: ${result.records} records and ${result.checkpoints} checkpoints verified for authority ${result.authority}`);
    return { ok: true, authority: result.authority, records: result.records, checkpoints: result.checkpoints, head: result.head };
  }
}
