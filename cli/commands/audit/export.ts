import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { callProjectNode, resolveProject } from '../../../node/client/project-setup.js';

/** `symbolon audit export [--output FILE]`: the project's whole audit log as JSONL. */
export default class AuditExport extends BaseCommand {
  static override summary = 'Export the project\'s audit log as JSONL (admins).';
  static override description = 'Writes a header, every record in order and the signed checkpoints, ending with a checkpoint on the last record (the authority signs one for the export). Check it offline with: symbolon audit verify FILE --authority IDENTITY_FILE.';
  static override examples = ['<%= config.bin %> <%= command.id %> --output audit.jsonl'];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    output: Flags.string({ description: 'write to FILE (0600) instead of stdout' }),
  };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditExport);
    const project = resolveProject(this.home, flags.project);
    const { lines } = await callProjectNode(this.home, project, 'project.audit.export', { project: project.name }, { timeoutMs: 120_000 });
    const text = lines.map((l) => `${l}\n`).join('');
    if (flags.output === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      writeFileSync(flags.output, text, { mode: 0o600 });
    } catch (cause) {
      throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
    }
    process.stderr.write(`${lines.length - 1} lines of project ${project.name}'s audit log written to ${flags.output}\n`);
  }
}
