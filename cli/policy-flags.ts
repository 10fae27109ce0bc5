import { Flags } from '@oclif/core';
import { InvalidInputError } from '../core/errors.js';

/** `--at`, `--resource` and `--resource-type`, shared by the policy commands. */
export const policyScopeFlags = {
  at: Flags.string({ description: 'node (default: the home default node, created and started when missing)' }),
  resource: Flags.string({ description: 'a named resource, e.g. echo, or an inlet/outlet/relay name' }),
  'resource-type': Flags.string({ description: 'a resource type: secure-channel-listener, tcp-inlet, tcp-outlet, relay, authority, worker' }),
};

/** The control parameters for exactly one of --resource or --resource-type. */
export function scopeParams(flags: { resource?: string; 'resource-type'?: string }): { resource: string } | { resourceType: string } {
  if ((flags.resource === undefined) === (flags['resource-type'] === undefined)) {
    throw new InvalidInputError('cli', 'give exactly one of --resource NAME or --resource-type TYPE');
  }
  return flags.resource !== undefined ? { resource: flags.resource } : { resourceType: flags['resource-type'] as string };
}
