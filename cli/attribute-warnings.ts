import { callNodeSocket, nodeSocket } from '../node/client/node-call.js';
import type { Home } from '../node/home/home.js';
import { subjectAttributeNames } from '../policy/subject-attributes.js';

/** How long a create waits for the project's attribute names before it skips the check. */
const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * Warnings about `expression` (a policy about to apply on node `node`): one for every
 * `subject` attribute it reads that no member of the node's project carries, pointing at
 * `policy test`. Nothing when the node belongs to no project or its authority cannot be
 * asked in time (the policy was checked already; this is advice).
 */
export async function attributeWarnings(home: Home, node: string, expression: string): Promise<string[]> {
  let used: string[];
  try {
    used = subjectAttributeNames(expression);
  } catch {
    return [];
  }
  if (used.length === 0) return [];
  let known: { project: string; names: readonly string[] };
  try {
    known = await callNodeSocket({ path: nodeSocket(home, node), name: node }, 'project.attribute-names', {}, { timeoutMs: LOOKUP_TIMEOUT_MS });
  } catch {
    return [];
  }
  return used.filter((name) => !known.names.includes(name)).map((name) =>
    `no member of project ${known.project} carries attribute '${name}', so subject.${name} matches nobody yet` +
    ` (members carry: ${known.names.length > 0 ? known.names.join(', ') : 'no attributes'}); check the expression with: symbolon policy test --expression '${expression.replaceAll("'", "'\\''")}' --subject ${name}=VALUE`);
}

/** Prints each warning as one `Warning: ...` line on stderr (commands skip this with --json, whose output lists them). */
export function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
}
