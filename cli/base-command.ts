import { format } from 'node:util';
import { Command } from '@oclif/core';
import { Home } from '../node/home/home.js';
import { formatErrorReport, reportError } from './error-output.js';

/**
 * The base of every command: a `--json` flag (the command's return value is printed as
 * JSON), the home folder from `SYMBOLON_HOME`, and uniform errors: one line
 * `Error: ...` on stderr (or `{"error":{origin,kind,message}}` on stdout with --json) and
 * an exit code by kind (see error-output.ts). No stack traces unless SYMBOLON_DEBUG=1.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  /** The home folder this command works in. */
  protected get home(): Home {
    return Home.fromEnv();
  }

  /** Prints a line for humans (nothing with --json). */
  override log(message = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) process.stdout.write(`${format(message, ...args)}\n`);
  }

  /** Prints plain (uncoloured) JSON so scripts can read it. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  /** Reports any failure as described above and sets the exit code; never rethrows. */
  protected override async catch(err: Error & { code?: string }): Promise<void> {
    if (err.code === 'EEXIT') throw err;
    this.parsed = true;
    const report = reportError(err);
    process.exitCode = report.exitCode;
    if (this.jsonEnabled()) {
      this.logJson({ error: report.error, ...(report.details.length > 0 ? { logTail: report.details } : {}) });
    } else {
      process.stderr.write(formatErrorReport(report, Boolean(process.env.SYMBOLON_DEBUG), err.stack));
    }
  }
}
