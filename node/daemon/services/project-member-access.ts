import type { AccessControl } from '../../../core/node/access-control.js';
import type { DefaultRule, RuleRequest } from '../../../policy/default-rules.js';
import type { EnforcedResource } from '../../../policy/policy-enforcement.js';
import type { Decision } from '../../../policy/policy.js';
import type { PolicySubject } from '../../../policy/subject-record.js';
import type { NodePolicy } from '../node-policy.js';

/** What the project node's authority says about an identity. */
export type Membership = 'member' | 'suspended' | 'not-a-member';

/** Asks the authority's store; undefined while the authority is not running yet (deny). */
export type MembershipLookup = () => ((identifier: string) => Promise<Membership>) | undefined;

/** The project member rule; `decideFor` decides for a subject without a rule request. */
export interface ProjectMemberRule extends DefaultRule {
  decideFor(subject: PolicySubject | undefined): Decision | Promise<Decision>;
}

/** Options of {@link projectMemberRule}. */
export interface ProjectMemberRuleOptions {
  /** The project's authority (the project node's identifier). */
  readonly authority: string;
  readonly membership: MembershipLookup;
  /**
   * Also admit identities for which this returns true (those the authority's revocation
   * list names: removed or suspended members), so the service can tell them so.
   */
  readonly answersRevoked?: (identifier: string) => boolean;
}

const allow = (reason: string): Decision => Object.freeze({ allowed: true, reason });
const deny = (reason: string): Decision => Object.freeze({ allowed: false, reason });

/** The reason recorded in the denial log when the project member rule refuses. */
export const PROJECT_MEMBER_DENIAL = 'denied by default: no policy and the caller is no member of this project (non-members reach only the enrollment service)';
const NO_SUBJECT = deny('denied by default: no policy and the sender is not authenticated');
const NOT_MEMBER = deny(PROJECT_MEMBER_DENIAL);
const BY_CREDENTIAL = allow('allowed by default: the caller holds a credential from this project\'s authority');
const BY_STORE = allow('allowed by default: the authority\'s store lists the caller as a member');
const REVOKED_ANSWERED = allow('allowed by default: the authority revoked the caller and answers it so');

/**
 * The default rule of the project node's own services (every authority service but
 * `enrollment`, and the relay service): the caller is a member of this project. It presents
 * a credential from this project's authority; or, presenting none (a member that has not
 * fetched its first credential yet, or whose credential lapsed while its node was down),
 * the authority's store lists it as a member that is not suspended. With `answersRevoked`,
 * identities the authority revoked are admitted too, so the service can answer them "not
 * a member" or "suspended". Everyone else (an enrollee, a stranger) is refused: such a peer
 * reaches the enrollment service and nothing else. Credentialed members are decided without
 * I/O; the store is asked only for the others.
 */
export function projectMemberRule(options: ProjectMemberRuleOptions): ProjectMemberRule {
  const decideFor = (subject: PolicySubject | undefined): Decision | Promise<Decision> => {
    if (subject?.identifier === undefined) return NO_SUBJECT;
    if (subject.authority === options.authority) return BY_CREDENTIAL;
    if (options.answersRevoked?.(subject.identifier) === true) return REVOKED_ANSWERED;
    const lookup = options.membership();
    if (lookup === undefined) return NOT_MEMBER;
    return lookup(subject.identifier).then((m) => (m === 'member' ? BY_STORE : NOT_MEMBER));
  };
  return Object.freeze({ name: 'project-member', decide: ({ subject }: RuleRequest) => decideFor(subject), decideFor });
}

/**
 * Incoming access control of a project node's service address under `rule` (usually
 * {@link projectMemberRule}). Only messages through a secure channel from an authenticated
 * peer pass to the decision, made at the node's enforcement point (`authorize`): a policy
 * for `resource` decides when one applies (unless `policyDecides` is false), else the rule.
 * A refused message is dropped without an answer and recorded in the denial log.
 */
export function projectMemberAccess(
  policy: NodePolicy, resource: EnforcedResource, action: string, rule: ProjectMemberRule, options: { readonly policyDecides?: boolean } = {},
): AccessControl {
  const ruleOnly = options.policyDecides === false;
  return {
    isAuthorized: (request) => {
      const origin = request.message.origin;
      const peer = origin?.via === 'channel' ? origin.peer : undefined;
      if (peer === undefined) return false;
      if (!ruleOnly) return policy.authorize(resource, action, peer, rule);
      const settle = (d: Decision): boolean => {
        if (!d.allowed) policy.recordRefusal(resource, action, peer, d.reason);
        return d.allowed;
      };
      let decision: Decision | Promise<Decision>;
      try {
        decision = rule.decideFor(peer);
      } catch (error) {
        return settle(deny(`denied: ${error instanceof Error ? error.message : String(error)}`));
      }
      return decision instanceof Promise ? decision.then(settle, (error: unknown) => settle(deny(`denied: ${String(error)}`))) : settle(decision);
    },
  };
}
