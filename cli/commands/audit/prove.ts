import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { InvalidInputError, IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { callProjectNode, resolveProject } from '../../../node/client/project-setup.js';

/** `symbolon audit prove --seq N [--checkpoint C]` or `--consistency OLD NEW`: a Merkle proof from the project's audit log. */
export default class AuditProve extends BaseCommand {
  static override summary = 'Get a proof that one record is in the audit log, or that a later checkpoint extends an earlier one (admins).';
  static override description = 'With --seq N: an inclusion proof of record N against a signed checkpoint (--checkpoint C, the record sequence number a checkpoint covers; default: one the authority signs now for the head of the log). With --consistency OLD NEW: a consistency proof that the log of the checkpoint at NEW extends the log of the checkpoint at OLD, nothing changed or removed. The proof is JSON; anyone checks it offline with: symbolon audit verify-proof FILE --authority IDENTITY_FILE. Checkpoints signed before Merkle tree heads (version 1) cannot anchor a proof.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --seq 1042 --output record-1042.proof.json',
    '<%= config.bin %> <%= command.id %> --consistency 1000 2000 --output 1000-2000.proof.json',
  ];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    seq: Flags.integer({ description: 'the record to prove', min: 1, exclusive: ['consistency'] }),
    checkpoint: Flags.integer({ description: 'prove against the checkpoint at this record (default: a new one at the head)', min: 1, dependsOn: ['seq'] }),
    consistency: Flags.integer({ description: 'OLD NEW: the records two checkpoints cover', min: 1, multiple: true, exclusive: ['seq'] }),
    output: Flags.string({ description: 'write the proof to FILE instead of stdout' }),
  };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditProve);
    const consistency = flags.consistency ?? [];
    if (flags.seq === undefined && consistency.length !== 2) throw new InvalidInputError('cli', 'give --seq N, or --consistency OLD NEW');
    const project = resolveProject(this.home, flags.project);
    const request = flags.seq !== undefined
      ? { seq: flags.seq, ...(flags.checkpoint !== undefined ? { checkpoint: flags.checkpoint } : {}) }
      : { first: consistency[0] as number, second: consistency[1] as number };
    const { proof } = await callProjectNode(this.home, project, 'project.audit.prove', { project: project.name, ...request }, { timeoutMs: 180_000 });
    const text = `${JSON.stringify(JSON.parse(proof), null, 2)}\n`;
    if (flags.output === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      writeFileSync(flags.output, text, { mode: 0o600 });
    } catch (cause) {
      throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
    }
    const what = flags.seq !== undefined ? `record ${flags.seq}` : `checkpoints ${consistency[0]} and ${consistency[1]}`;
    process.stderr.write(`proof for ${what} of project ${project.name}'s audit log written to ${flags.output}\n`);
  }
}
