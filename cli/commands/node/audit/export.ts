import { Args, Flags } from '@oclif/core';
import { closeSync, openSync, writeSync } from 'node:fs';
import { IoError, NotFoundError } from '../../../../core/errors.js';
import { BaseCommand } from '../../../base-command.js';
import { decisionLogDir, nodeAuditExportLines } from '../../../../node/home/decision-log-files.js';
import { verifyDecisionLines } from '../../../../node/home/decision-log-verify.js';
import { readNodeConfig } from '../../../../node/home/node-config.js';

/** `symbolon node audit export [NAME] [--output FILE]`: a node's decision log as JSONL. */
export default class NodeAuditExport extends BaseCommand {
  static override summary = 'Export a node\'s decision log (denials and policy changes) as JSONL.';
  static override description = 'Writes a header, then every kept record of the node\'s hash-chained decision log (<home>/nodes/<name>/decisions/), oldest first: each denial (repeats within a window aggregated into one record with a count) and each policy change with who made it and the old and new expression. Works whether the node runs or not. Prints the head (SEQ:HASH) on stderr: keep it somewhere else and later check that the log still contains it with: symbolon audit verify FILE --head SEQ:HASH. A node log has no authority signature; see docs/audit.md for what its verification proves.';
  static override examples = ['<%= config.bin %> <%= command.id %> bank --output bank-decisions.jsonl'];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };
  static override flags = { output: Flags.string({ description: 'write to FILE (0600) instead of stdout' }) };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NodeAuditExport);
    const name = args.name ?? this.home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes');
    readNodeConfig(this.home, name);
    const dir = decisionLogDir(this.home, name);
    const lines = [...nodeAuditExportLines(dir, name, Date.now())];
    const text = lines.map((l) => `${l}\n`).join('');
    if (flags.output === undefined) {
      process.stdout.write(text);
    } else {
      try {
        const fd = openSync(flags.output, 'w', 0o600);
        try { writeSync(fd, text); } finally { closeSync(fd); }
      } catch (cause) {
        throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
      }
    }
    const result = verifyDecisionLines(lines);
    if (result.ok) {
      process.stderr.write(`${result.records} records of node ${name}'s decision log${flags.output === undefined ? '' : ` written to ${flags.output}`}; head ${result.head.seq}:${result.head.hash}\n`);
    } else {
      process.stderr.write(`WARNING: node ${name}'s decision log does not verify at record ${result.failedAt}: ${result.reason}\n`);
    }
  }
}
