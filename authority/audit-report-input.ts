import type { PublicKey } from '../core/vault/keys.js';
import { parseExportLine } from './audit-export-format.js';
import { AuditReportBuilder, type AuditReport, type AuditReportOptions } from './audit-report.js';
import { AuditExportVerifier } from './audit-verify.js';

/**
 * Feeds the JSONL export lines a report is built from (a live export, or export files in
 * order) to the report and, when the authority's keys are known, to the verifier, in one
 * pass, so the report states the verification result of exactly the log it counts.
 */
export class AuditReportInput {
  private readonly builder: AuditReportBuilder;
  private readonly verifier: AuditExportVerifier | undefined;
  private unreadable: string | undefined;

  constructor(options: AuditReportOptions, authority?: { readonly identifier: string; readonly keys: readonly PublicKey[] }) {
    this.builder = new AuditReportBuilder(options);
    this.verifier = authority === undefined ? undefined : new AuditExportVerifier(authority.keys, { authority: authority.identifier });
  }

  /** Begins the next export file of a sequence. */
  startPiece(): void {
    this.verifier?.startPiece();
  }

  /** One export line. */
  push(raw: string): void {
    this.verifier?.push(raw);
    if (raw.trim() === '' || this.unreadable !== undefined) return;
    try {
      const line = parseExportLine(raw);
      if (line.kind === 'header') this.builder.setAuthority(line.authority);
      if (line.kind === 'record') this.builder.add(line.entry);
    } catch (error) {
      this.unreadable = (error as Error).message;
    }
  }

  /** The report, with the verification result of every line pushed. */
  finish(source: string): AuditReport {
    const result = this.verifier?.finish();
    const verification = result === undefined
      ? { source, ok: undefined, detail: 'no authority identity was given, so the log\'s hashes and signatures were not checked' }
      : result.ok
        ? { source, ok: true, detail: `${result.records} records (${result.firstSeq} to ${result.lastSeq}) and ${result.checkpoints} signed checkpoints verified with the authority's public identity${result.warnings.length > 0 ? `; ${result.warnings.join('; ')}` : ''}` }
        : { source, ok: false, detail: `at record ${result.failedAt}: ${result.reason}` };
    if (this.unreadable !== undefined && verification.ok !== false) {
      return this.builder.finish({ source, ok: false, detail: `the log could not be read to its end: ${this.unreadable}` });
    }
    return this.builder.finish(verification);
  }
}
