import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Flags } from '@oclif/core';
import { InvalidInputError, IoError } from '../../../core/errors.js';
import { AUDIT_EXPORT_FORMATS, AuditLineFormatter, type AuditExportFormat } from '../../../authority/audit-export-format.js';
import { BaseCommand } from '../../base-command.js';
import { exportFileEnd } from '../../../node/home/audit-export-file.js';
import { streamAuditExport } from '../../../node/client/audit-stream.js';
import { callNodeSocket, nodeSocket } from '../../../node/client/node-call.js';
import { ensureRunning, parseLongDuration, resolveProject } from '../../../node/client/project-setup.js';

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

/** A file a following export appends to (created 0600), written through at every line and synced at the end. */
function appendSink(path: string): Sink {
  let fd: number | undefined;
  const fail = (cause: unknown): IoError => new IoError('cli', `cannot write '${path}': ${(cause as Error).message}`, { cause });
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (cause) {
    throw fail(cause);
  }
  return {
    write: async (text) => {
      try { writeSync(fd as number, text); } catch (cause) { throw fail(cause); }
    },
    finish: () => {
      if (fd === undefined) return;
      try { fsyncSync(fd); closeSync(fd); } catch (cause) { throw fail(cause); } finally { fd = undefined; }
    },
    abandon: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** `symbolon audit export [--output FILE] [--after-seq N] [--follow] [--format jsonl|ocsf|syslog]`. */
export default class AuditExport extends BaseCommand {
  static override summary = 'Export the project\'s audit log as JSONL, OCSF or syslog, once or following it (admins).';
  static override description = `Writes a header, every record in order and the signed checkpoints, ending with a checkpoint on the last record (the authority signs one for the export). The log travels in pages of bounded size and is written as it arrives, so memory stays flat whatever its size; with --output, FILE appears only once the export is complete. Check it offline with: symbolon audit verify FILE --authority IDENTITY_FILE.

--after-seq N writes only the records after record N (plus the latest checkpoint); its header names where it continues the log, so "audit verify FIRST NEXT..." checks a sequence of such exports as one log.

--follow keeps writing records as they are committed until interrupted (SIGINT or SIGTERM), signing a checkpoint every --checkpoint-every while records arrive and one at the end, so what was written verifies. It reconnects by itself (waiting 0.5 s, doubling up to 30 s) and continues after the last record it wrote: nothing is skipped or repeated. With --output, FILE is appended to as records arrive; if FILE exists, the export continues after its last record.

--format ocsf writes one OCSF event (JSON) per record, --format syslog one RFC 5424 line per record (see docs/audit.md for the mapping); only jsonl keeps the checkpoints and verifies.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --output audit.jsonl',
    '<%= config.bin %> <%= command.id %> --after-seq 1200 --output audit-2.jsonl',
    '<%= config.bin %> <%= command.id %> --follow --format ocsf --output /var/log/symbolon/audit.ocsf.jsonl',
  ];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    output: Flags.string({ description: 'write to FILE (0600) instead of stdout' }),
    'after-seq': Flags.integer({ description: 'only records after this sequence number (an incremental export)', min: 0 }),
    follow: Flags.boolean({ description: 'keep writing records as they are committed, until SIGINT or SIGTERM', default: false }),
    format: Flags.string({ description: 'output format', options: [...AUDIT_EXPORT_FORMATS], default: 'jsonl' }),
    'checkpoint-every': Flags.string({ description: 'with --follow: sign a checkpoint this often while records arrive (e.g. 30s, 5m)', default: '60s' }),
    interval: Flags.string({ description: 'with --follow: ask for new records this often', default: '1s' }),
  };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditExport);
    const project = resolveProject(this.home, flags.project);
    const format = flags.format as AuditExportFormat;
    if (!flags.follow && (flags['checkpoint-every'] !== '60s' || flags.interval !== '1s')) throw new InvalidInputError('cli', '--checkpoint-every and --interval apply to --follow only');
    const checkpointEveryMs = parseLongDuration(flags['checkpoint-every']);
    const intervalMs = parseLongDuration(flags.interval);
    // A following export into an existing file continues after its last record.
    const resume = flags.follow && flags.output !== undefined ? exportFileEnd(flags.output) : undefined;
    if (resume !== undefined && flags['after-seq'] !== undefined) throw new InvalidInputError('cli', `'${flags.output}' exists: --follow continues it after its last record (${resume.lastSeq}); leave out --after-seq`);
    const sink = flags.output === undefined ? stdoutSink() : flags.follow ? appendSink(flags.output) : fileSink(flags.output);
    const formatter = new AuditLineFormatter(format, project.name);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    if (flags.follow) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    let records = 0;
    let node: string | undefined;
    let end;
    try {
      end = await streamAuditExport(
        async (params, { signal, timeoutMs }) => {
          // The node is started when needed for the first call only: a following export waits for a node someone stopped.
          node ??= await ensureRunning(this.home, project.node, { signal });
          return await callNodeSocket({ path: nodeSocket(this.home, node), name: node }, 'project.audit.export', { project: project.name, ...params }, { timeoutMs, signal });
        },
        {
          afterSeq: resume?.lastSeq ?? flags['after-seq'] ?? 0,
          ...(resume !== undefined ? { lastCheckpoint: resume.lastCheckpoint, headerWritten: true } : {}),
          follow: flags.follow, intervalMs, checkpointEveryMs, signal: controller.signal,
          write: async (raw, parsed) => {
            const out = formatter.line(parsed, raw);
            if (parsed.kind === 'record') records++;
            if (out !== undefined) await sink.write(`${out}\n`);
          },
          onRetry: (error, delayMs) => process.stderr.write(`audit export: ${(error as Error).message}; trying again in ${(delayMs / 1000).toFixed(1)} s\n`),
        },
      );
      sink.finish();
    } catch (error) {
      sink.abandon();
      throw error;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    const where = flags.output === undefined ? '' : ` to ${flags.output}`;
    const note = end.covered ? '' : ' (the last records are not covered by a checkpoint yet: the next export covers them)';
    if (flags.output !== undefined || flags.follow) process.stderr.write(`${records} records of project ${project.name}'s audit log written${where}, up to record ${end.lastSeq}${note}\n`);
  }
}
