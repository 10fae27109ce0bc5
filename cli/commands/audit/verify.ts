import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readAuthorityIdentityFile, verifyAuditFiles } from '../../../node/home/project-audit.js';
import { parsePinnedHead } from '../../../node/home/decision-log-verify.js';
import { isNodeAuditFile, verifyNodeAuditFile } from '../../../node/home/node-audit-file.js';

/** `symbolon audit verify FILE --authority IDENTITY_FILE`: checks an audit export offline. */
export default class AuditVerify extends BaseCommand {
  static override summary = 'Verify an audit export offline with only the authority\'s public identity.';
  static override description = 'Recomputes every record hash and chain link, checks that sequence numbers have no gaps, that checkpoints are signed by the authority and that the last record is covered by one. An export with no records fails, and so does one without any signed checkpoint (with --allow-no-checkpoint it passes with a loud warning on stderr: its records are then not authenticated). --min-seq N requires the export to reach at least record N (so an old or cut export cannot pass for the current log). Prints the number of records verified, or the first record that fails and why (exit code non-zero). No node, network or database is used. IDENTITY_FILE: the authority\'s `symbolon identity show --json`, or the project record (`symbolon project show --identity --json`, or <home>/projects/NAME.json). A node\'s decision log (`symbolon node audit export`) is verified without --authority: its hash chain, and with --head SEQ:HASH that it still holds a head pinned earlier.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> audit-1.jsonl audit-2.jsonl audit-3.jsonl --authority bank-authority.json',
    '<%= config.bin %> <%= command.id %> audit.jsonl --authority bank-authority.json',
    '<%= config.bin %> <%= command.id %> audit.jsonl --authority bank-authority.json --min-seq 1200',
  ];
  static override args = { file: Args.string({ description: 'the JSONL export (several: a first export and the incremental ones that continue it, in order)', required: true }) };
  static override strict = false;
  static override flags = {
    authority: Flags.string({ description: 'file with the authority\'s public identity (required for an authority\'s export)' }),
    head: Flags.string({ description: 'node decision logs: SEQ:HASH, a head pinned earlier that the log must contain' }),
    'allow-no-checkpoint': Flags.boolean({ description: 'accept an export without any signed checkpoint (warns: its records are not authenticated)', default: false }),
    'min-seq': Flags.integer({ description: 'fail unless the export reaches at least this record sequence number', min: 1 }),
  };

  async run(): Promise<unknown> {
    const { args, argv, flags } = await this.parse(AuditVerify);
    const files = argv as string[];
    if (isNodeAuditFile(args.file)) {
      if (files.length > 1) throw new InvalidInputError('cli', 'a node\'s decision log is verified one export at a time');
      return this.verifyNodeLog(args.file, flags.head);
    }
    if (flags.authority === undefined) throw new InvalidInputError('cli', 'an authority\'s audit export is verified with --authority IDENTITY_FILE');
    const authority = readAuthorityIdentityFile(flags.authority);
    const result = verifyAuditFiles(files, authority, { allowNoCheckpoint: flags['allow-no-checkpoint'], ...(flags['min-seq'] !== undefined ? { minSeq: flags['min-seq'] } : {}) });
    if (!result.ok) {
      const where = result.failedAt > 0 ? `record ${result.failedAt}` : 'the export';
      const file = files.length > 1 ? ` in ${files[result.piece - 1]}` : '';
      throw new InvalidInputError('authority', `verification failed at ${where} (line ${result.line}${file}): ${result.reason}`);
    }
    for (const warning of result.warnings) process.stderr.write(`WARNING: ${warning}\n`);
    const range = result.firstSeq > 1 || result.pieces > 1 ? ` (records ${result.firstSeq} to ${result.lastSeq}${result.pieces > 1 ? ` in ${result.pieces} exports, each continuing the one before` : ''})` : '';
    this.log(`OK: ${result.records} records and ${result.checkpoints} checkpoints verified for authority ${result.authority}${range}`);
    return {
      ok: true, authority: result.authority, records: result.records, checkpoints: result.checkpoints, head: result.head,
      firstSeq: result.firstSeq, lastSeq: result.lastSeq, exports: result.pieces, warnings: result.warnings,
    };
  }

  /** A node's decision log: the chain, and the pinned head when given. */
  private verifyNodeLog(file: string, head: string | undefined): unknown {
    const pin = head === undefined ? undefined : parsePinnedHead(head);
    if (head !== undefined && pin === undefined) throw new InvalidInputError('cli', '--head must be SEQ:HASH (64 lowercase hex digits)');
    const result = verifyNodeAuditFile(file, pin);
    if (!result.ok) {
      const where = result.failedAt > 0 ? `record ${result.failedAt}` : 'the log';
      throw new InvalidInputError('node', `verification failed at ${where} (line ${result.line}): ${result.reason}`);
    }
    for (const warning of result.warnings) process.stderr.write(`WARNING: ${warning}\n`);
    const pinned = result.pinned ? `, including the pinned head ${pin?.seq ?? 0}` : '';
    this.log(`OK: ${result.records} records of node ${result.node}'s decision log chain unbroken from record ${result.startSeq} to ${result.head.seq}${pinned} (no signature: see docs/audit.md)`);
    return { ok: true, node: result.node, records: result.records, startSeq: result.startSeq, head: result.head, pinned: result.pinned, warnings: result.warnings };
  }
}
