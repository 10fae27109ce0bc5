import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { IoError } from '../../core/errors.js';
import { verifyDecisionLines, type DecisionLogVerification, type PinnedHead } from './decision-log-verify.js';
import { DECISION_FILE_FORMAT, NODE_AUDIT_EXPORT_FORMAT } from './decision-record.js';

/** True when `file` starts like a node audit export or a node decision log file (not an authority's export). */
export function isNodeAuditFile(file: string): boolean {
  let first: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      first = buf.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw new IoError('cli', `cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
  return first.includes(`"format":"${NODE_AUDIT_EXPORT_FORMAT}"`) || first.includes(`"format":"${DECISION_FILE_FORMAT}"`);
}

/** Verifies a node audit export (or decision log files joined in order) offline, optionally against a pinned head. */
export function verifyNodeAuditFile(file: string, pin?: PinnedHead): DecisionLogVerification {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IoError('cli', `cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
  return verifyDecisionLines(text.split('\n'), pin === undefined ? {} : { pin });
}
