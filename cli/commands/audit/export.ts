import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { callProjectNode, resolveProject } from '../../../node/client/project-setup.js';

/** Where export pages go: a file written as a temporary file and renamed when complete, or stdout. */
interface Sink {
  write(text: string): Promise<void>;
  /** Makes the output complete (renames the temporary file over the target). */
  finish(): void;
  /** Removes a partial file. */
  abandon(): void;
}

function fileSink(path: string): Sink {
  const partial = `${path}.partial`;
  let fd: number | undefined;
  const fail = (cause: unknown): IoError => new IoError('cli', `cannot write '${path}': ${(cause as Error).message}`, { cause });
  try {
    fd = openSync(partial, 'w', 0o600);
  } catch (cause) {
    throw fail(cause);
  }
  return {
    write: async (text) => {
      try { writeSync(fd as number, text); } catch (cause) { throw fail(cause); }
    },
    finish: () => {
      try {
        fsyncSync(fd as number);
        closeSync(fd as number);
        fd = undefined;
        renameSync(partial, path);
      } catch (cause) {
        throw fail(cause);
      }
    },
    abandon: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      try { unlinkSync(partial); } catch { /* already gone */ }
    },
  };
}

function stdoutSink(): Sink {
  return {
    write: async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    finish: () => undefined,
    abandon: () => undefined,
  };
}

/** `symbolon audit export [--output FILE]`: the project's whole audit log as JSONL, page by page. */
export default class AuditExport extends BaseCommand {
  static override summary = 'Export the project\'s audit log as JSONL (admins).';
  static override description = 'Writes a header, every record in order and the signed checkpoints, ending with a checkpoint on the last record (the authority signs one for the export). The log travels in pages of bounded size and is written as it arrives, so memory stays flat whatever its size; with --output, FILE appears only once the export is complete. Check it offline with: symbolon audit verify FILE --authority IDENTITY_FILE.';
  static override examples = ['<%= config.bin %> <%= command.id %> --output audit.jsonl'];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    output: Flags.string({ description: 'write to FILE (0600) instead of stdout' }),
  };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditExport);
    const project = resolveProject(this.home, flags.project);
    const sink = flags.output === undefined ? stdoutSink() : fileSink(flags.output);
    let lines = 0;
    try {
      let cursor: { upToSeq?: number; afterSeq?: number } = {};
      for (;;) {
        const page = await callProjectNode(this.home, project, 'project.audit.export', { project: project.name, ...cursor }, { timeoutMs: cursor.upToSeq === undefined ? 660_000 : 120_000 });
        if (page.lines.length > 0) await sink.write(`${page.lines.join('\n')}\n`);
        lines += page.lines.length;
        if (page.next === undefined) break;
        cursor = { upToSeq: page.upToSeq, afterSeq: page.next };
      }
      sink.finish();
    } catch (error) {
      sink.abandon();
      throw error;
    }
    if (flags.output !== undefined) process.stderr.write(`${lines - 1} lines of project ${project.name}'s audit log written to ${flags.output}\n`);
  }
}
