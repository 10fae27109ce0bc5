/**
 * The scenario's CEL policies for the benchmark nodes (design section 1): the outlet
 * admits `subject.component == "analysis"`, the inlet accepts an outlet whose
 * `subject.component == "db"`, and the relay lets credential holders create and send.
 * Compiled once; each message or session is decided as a running node decides it.
 */
import type { AccessControl } from '../../core/node/access-control.js';
import type { PeerInfo } from '../../core/routing/message.js';
import { createPolicy } from '../../policy/policy.js';
import type { PolicyLookup } from '../../policy/policy.js';
import { DenialLog } from '../../policy/denial-log.js';
import { PolicyEnforcement } from '../../policy/policy-enforcement.js';
import { trustScope, type TrustScope } from '../../policy/trust-scope.js';

/** The outlet policy of the scenario. */
export const OUTLET_POLICY = 'subject.component == "analysis"';
/** The inlet policy of the scenario. */
export const INLET_POLICY = 'subject.component == "db"';
/** The relay policy: any holder of a credential from the project. */
export const RELAY_POLICY = 'has(subject.component)';

function lookup(type: string, expression: string): PolicyLookup {
  const policy = createPolicy({ kind: 'resource-type', type }, expression, new Date(0).toISOString());
  return { policyFor: (resource) => (resource.type === type ? policy : undefined) };
}

/** The node's enforcement point for one policy: the authorities given are the node's own project's. */
function enforcement(type: string, expression: string, node: string, authorities: () => readonly string[]): PolicyEnforcement {
  let seen: readonly string[] | undefined;
  let scope: TrustScope = trustScope([]);
  const trust = (): TrustScope => {
    const current = authorities();
    if (current !== seen) {
      seen = current;
      scope = trustScope(current.map((authority) => ({ name: 'bench', authority, own: true })));
    }
    return scope;
  };
  return new PolicyEnforcement({ node, policies: lookup(type, expression), trust, denials: new DenialLog() });
}

/** Incoming access control of the outlet (resource type `tcp-outlet`, action `send`). */
export function outletAccessControl(node: string, authorities: () => readonly string[]): AccessControl {
  return enforcement('tcp-outlet', OUTLET_POLICY, node, authorities).accessControl({ type: 'tcp-outlet', name: 'outlet' }, 'send');
}

/** A decision function for a peer against `expression` on resource type `type`. */
function decider(type: string, expression: string, node: string, action: string, authorities: () => readonly string[]): (peer: PeerInfo | undefined) => boolean {
  const enforcer = enforcement(type, expression, node, authorities);
  return (peer) => enforcer.authorize({ type, name: type }, action, peer);
}

/** The inlet's check on the outlet's identity (resource type `tcp-inlet`). */
export function inletAuthorizeOutlet(node: string, authorities: () => readonly string[]): (peer: PeerInfo | undefined) => boolean {
  return decider('tcp-inlet', INLET_POLICY, node, 'connect', authorities);
}

/** The relay service's decision (resource type `relay`). */
export function relayAuthorizer(node: string, authorities: () => readonly string[]): (peer: PeerInfo | undefined, name: string, action: 'create' | 'send') => boolean {
  const check = decider('relay', RELAY_POLICY, node, 'send', authorities);
  return (peer) => check(peer);
}
