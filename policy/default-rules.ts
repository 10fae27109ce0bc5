import { ROLE_ATTRIBUTE } from '../core/credential/role-attribute.js';
import { isMemberRouteName, memberRouteOwner } from '../core/relay/member-route.js';
import type { Decision } from './policy.js';
import type { PolicySubject } from './subject-record.js';
import type { TrustScope } from './trust-scope.js';

/** What a default rule decides about. */
export interface RuleRequest {
  readonly subject: PolicySubject | undefined;
  readonly resource: { readonly type: string; readonly name: string };
  readonly action: string;
  readonly trust: TrustScope;
}

/**
 * What an enforcement point decides when no policy applies to its resource. Named, so a
 * denial says which rule refused. `decide` is synchronous on message paths; a rule that
 * needs I/O (the relay rule asks the authority's store) returns a promise.
 */
export interface DefaultRule {
  readonly name: string;
  decide(request: RuleRequest): Decision | Promise<Decision>;
}

/** A default rule that decides without I/O (usable on per-message paths). */
export interface SyncDefaultRule extends DefaultRule {
  decide(request: RuleRequest): Decision;
}

const allow = (reason: string): Decision => Object.freeze({ allowed: true, reason });
const deny = (reason: string): Decision => Object.freeze({ allowed: false, reason });

const MEMBER_ALLOWED = allow('allowed by default: the subject holds a credential from the authority of this node\'s project');
const NO_SUBJECT = deny('denied by default: no policy and the sender is not authenticated');
const NO_AUTHORITY = deny('denied by default: no policy and this node trusts no authority (it belongs to no project)');
const NO_CREDENTIAL = deny('denied by default: no policy and the subject holds no credential from the authority of this node\'s project');

/** True when the subject's credential comes from the authority of the node's own project. */
function fromOwnProject(subject: PolicySubject | undefined, trust: TrustScope): boolean {
  return subject?.authority !== undefined && trust.isOwn(subject.authority);
}

/**
 * The default everywhere unless an enforcement point names another: allow a subject whose
 * credential comes from the authority of the node's own project. A credential from another
 * trusted project does not count; a policy that names `subject.project` can admit it.
 */
export const OWN_PROJECT_MEMBER: SyncDefaultRule = Object.freeze({
  name: 'own-project-member',
  decide({ subject, trust }: RuleRequest): Decision {
    if (subject === undefined) return NO_SUBJECT;
    if (trust.projects.every((p) => !p.own)) return NO_AUTHORITY;
    return fromOwnProject(subject, trust) ? MEMBER_ALLOWED : NO_CREDENTIAL;
  },
});


const ADMIN_ALLOWED = allow('allowed by default: the subject\'s credential from the authority of this node\'s project carries role admin');
const NOT_ADMIN = deny('denied by default: no policy and the subject is not an admin of this node\'s project (its credential from the project\'s authority does not carry role admin)');

/**
 * The default of the `policy` resource type (policies managed from the project): a subject
 * whose credential from the authority of the node's own project carries role `admin`. The
 * node checks the credential itself (verified in its own secure channel), never the word of
 * a node that forwarded the request.
 */
export const PROJECT_ADMIN: SyncDefaultRule = Object.freeze({
  name: 'project-admin',
  decide({ subject, trust }: RuleRequest): Decision {
    if (subject === undefined) return NO_SUBJECT;
    if (trust.projects.every((p) => !p.own)) return NO_AUTHORITY;
    return fromOwnProject(subject, trust) && subject.attributes?.[ROLE_ATTRIBUTE] === 'admin' ? ADMIN_ALLOWED : NOT_ADMIN;
  },
});

const PEER_ALLOWED = allow('allowed by default: any authenticated peer');

/**
 * Any authenticated peer, member or not (a project node's listener: enrollees hold no
 * credential yet; the authority's services, whose own role checks decide).
 */
export const AUTHENTICATED_PEER: SyncDefaultRule = Object.freeze({
  name: 'authenticated-peer',
  decide({ subject }: RuleRequest): Decision {
    return subject === undefined ? NO_SUBJECT : PEER_ALLOWED;
  },
});

/** What the relay rule needs from the project node's authority. */
export interface RelayRuleOptions {
  /** The credential attribute listing the relay names a member may create (comma-separated). */
  readonly attribute: string;
  /** True when `identifier` is an admin of the project. */
  readonly isAdmin: (identifier: string) => Promise<boolean>;
}

/** True when `relays` (a comma-separated attribute value) names `name`. */
export function relayAllowed(relays: string | undefined, name: string): boolean {
  return relays !== undefined && relays.split(',').map((r) => r.trim()).includes(name);
}

/** Reasons the relay rule records when it refuses. */
export const RELAY_RULE_DENIALS = {
  create: 'denied by the default relay rule: create needs an admin or a credential from this authority listing the name in "relay"',
  send: 'denied by the default relay rule: send needs a credential from this authority',
} as const;

const MEMBER_ROUTE_OWN = allow('allowed by the default relay rule: a member registers its own management route');
const MEMBER_ROUTE_ADMIN = allow('allowed by the default relay rule: an admin of the project sends through a member\'s management route');
const MEMBER_ROUTE_CREATE_DENIED = deny('denied by the default relay rule: a management route member.IDENTIFIER is registered only by that identity, with a credential from this authority');
const MEMBER_ROUTE_SEND_DENIED = deny('denied by the default relay rule: only the project\'s admins send through a member\'s management route');
const RELAY_SEND_ALLOWED = allow('allowed by the default relay rule: a credential from this authority');
const RELAY_CREATE_LISTED = allow('allowed by the default relay rule: the credential lists the relay');
const RELAY_CREATE_ADMIN = allow('allowed by the default relay rule: an admin of the project');
const RELAY_CREATE_DENIED = deny(RELAY_RULE_DENIALS.create);
const RELAY_SEND_DENIED = deny(RELAY_RULE_DENIALS.send);

/**
 * The relay rule of a project node (resource type `relay`, the name is the relay's):
 * `send` needs a credential from this project's authority; `create` needs such a
 * credential listing the name in `attribute`, or an admin. Synchronous for `send` (per
 * message), asynchronous for `create` only when it asks whether the subject is an admin.
 */
export function relayRule(options: RelayRuleOptions): DefaultRule {
  return Object.freeze({
    name: 'relay',
    decide({ subject, resource, action, trust }: RuleRequest): Decision | Promise<Decision> {
      const member = fromOwnProject(subject, trust);
      if (isMemberRouteName(resource.name)) return memberRouteDecision(subject, memberRouteOwner(resource.name), action, member, options);
      if (action !== 'create') return member ? RELAY_SEND_ALLOWED : RELAY_SEND_DENIED;
      if (subject === undefined) return RELAY_CREATE_DENIED;
      if (member && relayAllowed(subject.attributes?.[options.attribute], resource.name)) return RELAY_CREATE_LISTED;
      if (subject.identifier === undefined) return RELAY_CREATE_DENIED;
      return options.isAdmin(subject.identifier).then((admin) => (admin === true ? RELAY_CREATE_ADMIN : RELAY_CREATE_DENIED));
    },
  });
}

/**
 * The relay rule for a management route `member.IDENTIFIER`: only that identity, with a
 * credential from this authority, registers it; only admins send through it (the credential's
 * role, else the authority's store).
 */
function memberRouteDecision(subject: PolicySubject | undefined, owner: string | undefined, action: string, member: boolean, options: RelayRuleOptions): Decision | Promise<Decision> {
  if (action === 'create') return member && owner !== undefined && subject?.identifier === owner ? MEMBER_ROUTE_OWN : MEMBER_ROUTE_CREATE_DENIED;
  if (!member || subject?.identifier === undefined) return MEMBER_ROUTE_SEND_DENIED;
  if (subject.attributes?.[ROLE_ATTRIBUTE] === 'admin') return MEMBER_ROUTE_ADMIN;
  return options.isAdmin(subject.identifier).then((admin) => (admin === true ? MEMBER_ROUTE_ADMIN : MEMBER_ROUTE_SEND_DENIED));
}
