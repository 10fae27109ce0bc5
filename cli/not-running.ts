/** The line read-only commands print for a home without nodes. */
export const NO_NODE_LINE = 'This home has no node (none was created or started).';

/** The line read-only commands print first for a node that is not running. */
export function notRunningLine(name: string, what: string): string {
  return `Node ${name} is not running (start it with: symbolon node start ${name}); ${what}`;
}
