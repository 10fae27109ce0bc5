import type { SecureChannelOptions } from '../../../core/channel/secure-channel-options.js';
import { NotFoundError } from '../../../core/errors.js';
import type { Identity } from '../../../core/identity/identity.js';
import type { TransportSet } from '../../../core/transport/transport-set.js';
import { defaultProjectName, projectOfNode, readProject, type ProjectRecord } from '../../home/project-registry.js';
import type { NodeCredentials } from '../node-credentials.js';
import type { NodeIdentity } from '../node-identity.js';
import type { DaemonContext } from '../service.js';

/**
 * A read-only map that always shows the node's current trusted authorities, so channels
 * and listeners started before an enrollment trust the authority afterwards.
 */
export function liveAuthorities(credentials: NodeCredentials): ReadonlyMap<string, Identity> {
  const current = (): ReadonlyMap<string, Identity> => credentials.trustedAuthorities();
  return {
    get: (key) => current().get(key),
    has: (key) => current().has(key),
    get size() { return current().size; },
    entries: () => current().entries(),
    keys: () => current().keys(),
    values: () => current().values(),
    forEach: (fn, thisArg) => current().forEach(fn, thisArg),
    [Symbol.iterator]: () => current()[Symbol.iterator](),
  };
}

/** Secure channel options of this node: its identity, purpose key, credential, authorities and attribute store. */
export function nodeChannelOptions(
  { identity, credentials, transports }: { readonly identity: NodeIdentity; readonly credentials: NodeCredentials; readonly transports: TransportSet },
  extra: Partial<SecureChannelOptions> = {},
): SecureChannelOptions {
  return {
    identity: identity.identity,
    secureChannelKey: () => identity.secureChannelKey(),
    credentials: () => credentials.credential(),
    trustedAuthorities: liveAuthorities(credentials),
    attributeStore: credentials.attributes,
    transport: transports,
    ...extra,
  };
}

/** The project node `node` works with: `name` when given, else the node's project, else the home's default project. */
export function projectFor(ctx: DaemonContext, name?: string): ProjectRecord {
  if (name !== undefined) return readProject(ctx.home, name);
  const own = projectOfNode(ctx.home, ctx.name);
  if (own) return own;
  const fallback = defaultProjectName(ctx.home);
  if (fallback === undefined) throw new NotFoundError('cli', `node '${ctx.name}' belongs to no project (enroll it first: symbolon project enroll TICKET)`);
  return readProject(ctx.home, fallback);
}
