import type { Denial } from '../../policy/denial-log.js';
import { isObject } from './json-file.js';
import { readLogLines } from './node-log.js';

/** The message the node logs with each denial (policy/denial-log.ts). */
const DENIAL_MESSAGE = 'access denied';

/**
 * The denials a node wrote to its log at `path` (each denial is logged as a warning with
 * its resource, action, subject and reason), newest first, at most `limit`. For a node that
 * is not running, whose in-memory denial list is gone. Reads the end of the log and its rotated files.
 */
export function loggedDenials(path: string, limit: number): Denial[] {
  const out: Denial[] = [];
  const lines = readLogLines(path, limit, (line) => line.includes(DENIAL_MESSAGE) && parseDenialLine(line) !== undefined);
  for (let i = lines.length - 1; i >= 0; i--) out.push(parseDenialLine(lines[i]!)!);
  return out;
}

/** One `access denied` log line as a Denial; undefined for any other line. */
export function parseDenialLine(line: string): Denial | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(entry) || entry.msg !== DENIAL_MESSAGE || typeof entry.time !== 'number') return undefined;
  const { resource, action, subject, reason, policy } = entry;
  if (!isObject(resource) || typeof resource.type !== 'string' || typeof resource.name !== 'string') return undefined;
  if (typeof action !== 'string' || typeof reason !== 'string') return undefined;
  return {
    at: new Date(entry.time).toISOString(),
    resource: { type: resource.type, name: resource.name, node: typeof resource.node === 'string' ? resource.node : '' },
    action, reason,
    ...(typeof subject === 'string' ? { subject } : {}),
    ...(isObject(policy) && typeof policy.expression === 'string' && isObject(policy.scope) ? { policy: policy as unknown as NonNullable<Denial['policy']> } : {}),
  };
}
