import type { Denial } from '../../policy/denial-log.js';
import { denialOf } from './decision-denial.js';
import { decisionLogDir, decisionLogLines, parseDecisionLine } from './decision-log-files.js';
import type { Home } from './home.js';

/**
 * The denials node `name` recorded in its decision log (the hash-chained log in its
 * folder, aggregates included), newest first, at most `limit`: for a node that is not
 * running. Reads the files the node keeps, oldest first.
 */
export function loggedDenials(home: Home, name: string, limit: number): Denial[] {
  const ring: Denial[] = [];
  for (const line of decisionLogLines(decisionLogDir(home, name))) {
    const entry = parseDecisionLine(line);
    const denial = entry !== undefined ? denialOf(entry) : undefined;
    if (denial === undefined) continue;
    ring.push(denial);
    if (ring.length > limit) ring.shift();
  }
  return ring.reverse();
}
