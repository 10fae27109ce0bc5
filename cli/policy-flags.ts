import { Flags } from '@oclif/core';
import { InvalidInputError } from '../core/errors.js';
import { RESOURCE_TYPES } from '../policy/policy.js';

/** `--at`, `--resource` and `--resource-type`, shared by the policy commands. */
export const policyScopeFlags = {
  at: Flags.string({ description: 'node (default: the home default node, created and started when missing)' }),
  resource: Flags.string({ description: 'a named resource, e.g. echo, or an inlet/outlet/relay name' }),
  'resource-type': Flags.string({ description: `a resource type: ${RESOURCE_TYPES.join(', ')}` }),
};

/** `--at-member IDENTIFIER`: act on a project member's node over the project (project admins only). */
export const atMemberFlag = {
  'at-member': Flags.string({
    description: 'act on the node of this project member (identifier I...), over the project: the project node forwards only for the project\'s admins and the member\'s node checks the admin\'s credential itself',
  }),
};

/** The control parameter for `--at-member`, when given. */
export function atMemberParams(flags: { 'at-member'?: string }): { atMember: string } | Record<string, never> {
  return flags['at-member'] !== undefined ? { atMember: flags['at-member'] } : {};
}

/** The control parameters for exactly one of --resource or --resource-type. */
export function scopeParams(flags: { resource?: string; 'resource-type'?: string }): { resource: string } | { resourceType: string } {
  if ((flags.resource === undefined) === (flags['resource-type'] === undefined)) {
    throw new InvalidInputError('cli', 'give exactly one of --resource NAME or --resource-type TYPE');
  }
  return flags.resource !== undefined ? { resource: flags.resource } : { resourceType: flags['resource-type'] as string };
}

/**
 * An expression error as one line: the compiler's first line plus the line and column
 * its caret points at (`invalid policy expression: unexpected token: EOF (line 1, column 5)`).
 * Other errors are returned unchanged.
 */
export function oneLineExpressionError(err: unknown): unknown {
  if (!(err instanceof Error) || !err.message.includes('\n') || !err.message.startsWith('invalid policy expression')) return err;
  const lines = err.message.split('\n');
  let where = '';
  const frame = lines.findIndex((l) => /^>\s*\d+\s*\|/.test(l));
  const caret = frame >= 0 ? lines[frame + 1] : undefined;
  if (frame >= 0 && caret !== undefined) {
    const gutter = /^(>\s*(\d+)\s*\|\s?)/.exec(lines[frame]!)!;
    const column = caret.indexOf('^') - gutter[1]!.length + 1;
    where = column > 0 ? ` (line ${gutter[2]}, column ${column})` : ` (line ${gutter[2]})`;
  }
  return new InvalidInputError('policy', `${lines[0]!.trim()}${where}`, { cause: err });
}
