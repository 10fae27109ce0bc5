import { Args, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { verifyAuditProof } from '../../../authority/audit-proof.js';
import { InvalidInputError, IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { identityPublicKeys, readAuthorityIdentityFile } from '../../../node/home/project-audit.js';

/** `symbolon audit verify-proof FILE --authority IDENTITY_FILE`: checks an inclusion or consistency proof offline. */
export default class AuditVerifyProof extends BaseCommand {
  static override summary = 'Verify an audit proof offline with only the authority\'s public identity.';
  static override description = 'Checks a proof from `symbolon audit prove`: the checkpoint(s) must carry a Merkle tree head signed by the authority; an inclusion proof\'s record must match its hash and its path must lead from the record to the signed tree head; a consistency proof\'s path must show that the later checkpoint\'s log extends the earlier one. Prints what was proven, or why not (exit code non-zero). No node, network or database is used. IDENTITY_FILE: the authority\'s `symbolon identity show --json`, or the project record (`symbolon project show --identity --json`).';
  static override examples = ['<%= config.bin %> <%= command.id %> record-1042.proof.json --authority bank-authority.json'];
  static override args = { file: Args.string({ description: 'the proof (JSON)', required: true }) };
  static override flags = { authority: Flags.string({ description: 'file with the authority\'s public identity', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(AuditVerifyProof);
    const authority = readAuthorityIdentityFile(flags.authority);
    let text: string;
    try {
      text = readFileSync(args.file, 'utf8');
    } catch (cause) {
      throw new IoError('cli', `cannot read '${args.file}': ${(cause as Error).message}`, { cause });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidInputError('authority', `'${args.file}' is not JSON`);
    }
    const result = verifyAuditProof(value, identityPublicKeys(authority), { authority: authority.identifier });
    if (!result.ok) throw new InvalidInputError('authority', `proof does not verify: ${result.reason}`);
    if (result.type === 'inclusion') {
      this.log(`OK: record ${result.seq} (${result.recordType}) is in the audit log of authority ${result.authority} up to record ${result.treeSize} (tree head ${result.root})`);
    } else {
      this.log(`OK: the audit log of authority ${result.authority} up to record ${result.second} extends the log up to record ${result.first} (tree head ${result.root})`);
    }
    return result;
  }
}
