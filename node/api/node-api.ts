import { method, returns } from '../../core/api/method-table.js';
import type { MethodParams, MethodResult } from '../../core/api/method-table.js';
import { field, NO_PARAMS, schema, validateParams } from '../../core/api/param-schema.js';
import type { PolicyScope } from '../../policy/policy.js';
import type { MessageSendResult } from './message-send.js';
import type { NodeInfo } from './node-info.js';
import type { PolicyDenials, PolicyList, PolicyView } from './policy-view.js';
import type { AttributeNames, AuditExport, AuditRecords, AuthorityInfo, MemberList, MemberRemovalView, MemberResult, MembershipView, MemberSuspension, RefreshView, RevocationsView, SignerInfo, SignerList, TicketView } from './project-views.js';
import type { RelayList, RelayView } from './relay-view.js';
import type { ReplicaList } from './replica-view.js';
import type { SecureChannelList, SecureChannelView } from './secure-channel-view.js';
import type { SecurityInfo } from './security-info.js';
import type { TcpInletList, TcpInletView } from './tcp-inlet-view.js';
import type { TcpOutletList, TcpOutletView } from './tcp-outlet-view.js';
import type { KafkaInletList, KafkaInletView, KafkaOutletList, KafkaOutletView } from './kafka-view.js';

/** Longest route text a method accepts. */
const ROUTE = field.string({ max: 4096 });
/** Longest policy expression accepted on the wire (the policy store applies its own, smaller bound). */
const EXPRESSION = field.string({ max: 64 * 1024 });
const NAME = field.string();
const optional = field.optional;

const POLICY_SCOPE = { resource: optional(NAME), resourceType: optional(NAME) } as const;
const ONE_SCOPE = { exactlyOne: [['resource', 'resourceType']] } as const;
/** `atMember`: the identifier of a project member whose node the call acts on. */
const AT_MEMBER = { atMember: optional(field.string({ max: 64 })) } as const;
/** `project`: the project the call acts on (absent: the node's project, else the home's default). */
const PROJECT = { project: optional(NAME) } as const;

/**
 * The node control API: every method the node daemon answers over its control socket,
 * with the schema of its params and the type of its result. The daemon registers its
 * handlers through this table (see node/daemon/node-api-registry.ts), which checks params
 * with one validator before a handler sees them; clients call it with `callNodeSocket` /
 * `callNode` (node/client/node-call.ts) and get typed results. A new method is one entry
 * here plus one `ctx.api.register` in its service.
 */
export const NODE_API = {
  'node.info': method(NO_PARAMS, returns<NodeInfo>()),
  'message.send': method(schema({
    to: ROUTE,
    /** UTF-8 text; at most MAX_MESSAGE_BYTES bytes (checked by the handler). */
    text: field.string({ min: 0, max: 64 * 1024 }),
    timeoutMs: optional(field.integer({ min: 1, max: 600_000 })),
  }), returns<MessageSendResult>()),

  'security.info': method(NO_PARAMS, returns<SecurityInfo>()),
  'security.reload': method(NO_PARAMS, returns<SecurityInfo>()),

  // `atMember`: act on the node of that project member, over the project (admins only).
  'policy.create': method(schema({ ...POLICY_SCOPE, ...AT_MEMBER, expression: EXPRESSION, mode: optional(field.enum(['enforce', 'audit'])) }, ONE_SCOPE), returns<PolicyView>()),
  'policy.list': method(schema({ ...AT_MEMBER }), returns<PolicyList>()),
  'policy.show': method(schema({ ...POLICY_SCOPE, ...AT_MEMBER }, ONE_SCOPE), returns<PolicyView>()),
  'policy.delete': method(schema({ ...POLICY_SCOPE, ...AT_MEMBER }, ONE_SCOPE), returns<{ readonly deleted: PolicyScope }>()),
  'policy.denials': method(schema({ limit: optional(field.integer({ min: 1, max: 1000 })) }), returns<PolicyDenials>()),

  'secure-channel.create': method(schema({ to: ROUTE }), returns<SecureChannelView>()),
  'secure-channel.list': method(NO_PARAMS, returns<SecureChannelList>()),
  'secure-channel.delete': method(schema({ address: NAME }), returns<{ readonly deleted: string }>()),

  'tcp-outlet.create': method(schema({
    target: NAME, address: optional(NAME), allow: optional(EXPRESSION),
    maxSessionsPerPeer: optional(field.integer({ min: 1, max: 1_000_000 })), idleTimeoutSeconds: optional(field.integer({ min: 0, max: 2_592_000 })),
  }), returns<TcpOutletView>()),
  'tcp-outlet.list': method(NO_PARAMS, returns<TcpOutletList>()),
  'tcp-outlet.show': method(schema({ address: optional(NAME) }), returns<TcpOutletView>()),
  'tcp-outlet.delete': method(schema({ address: optional(NAME) }), returns<{ readonly deleted: string }>()),

  'tcp-inlet.create': method(schema({
    from: NAME, via: optional(NAME), to: optional(ROUTE), outlet: optional(NAME), allow: optional(EXPRESSION), direct: optional(field.boolean()),
  }, { exactlyOne: [['via', 'to']] }), returns<TcpInletView>()),
  'tcp-inlet.list': method(NO_PARAMS, returns<TcpInletList>()),
  'tcp-inlet.show': method(schema({ name: NAME }), returns<TcpInletView>()),
  'tcp-inlet.delete': method(schema({ name: NAME }), returns<{ readonly deleted: string }>()),

  'kafka-outlet.create': method(schema({ bootstrap: NAME, address: optional(NAME), allow: optional(EXPRESSION), produceAllow: optional(EXPRESSION) }), returns<KafkaOutletView>()),
  'kafka-outlet.list': method(NO_PARAMS, returns<KafkaOutletList>()),
  'kafka-outlet.show': method(schema({ address: optional(NAME) }), returns<KafkaOutletView>()),
  'kafka-outlet.delete': method(schema({ address: optional(NAME) }), returns<{ readonly deleted: string }>()),
  'kafka-inlet.create': method(schema({
    from: NAME, via: optional(NAME), to: optional(ROUTE), outlet: optional(NAME), allow: optional(EXPRESSION),
    encrypt: optional(field.boolean()), encryptedFields: optional(field.stringList()), maxFrameBytes: optional(field.integer({ min: 1024, max: 1024 * 1024 * 1024 })),
    keyRotationSeconds: optional(field.integer({ min: 1, max: 31_536_000 })), keyRetentionSeconds: optional(field.integer({ min: 1, max: 31_536_000 })),
  }, { exactlyOne: [['via', 'to']] }), returns<KafkaInletView>()),
  'kafka-inlet.list': method(NO_PARAMS, returns<KafkaInletList>()),
  'kafka-inlet.show': method(schema({ name: NAME }), returns<KafkaInletView>()),
  'kafka-inlet.delete': method(schema({ name: NAME }), returns<{ readonly deleted: string }>()),

  'relay.create': method(schema({ name: NAME, ...PROJECT }), returns<RelayView>()),
  'relay.list': method(NO_PARAMS, returns<RelayList>()),
  'relay.show': method(schema({ name: NAME }), returns<RelayView>()),
  'relay.delete': method(schema({ name: NAME }), returns<{ readonly deleted: string }>()),

  /** Project nodes only: registered when the node runs the authority. */
  'authority.info': method(NO_PARAMS, returns<AuthorityInfo>()),
  /** Project nodes on Postgres only: the project's replicas, and removing one from the database. */
  'authority.replicas': method(NO_PARAMS, returns<ReplicaList>()),
  'authority.replica-remove': method(schema({ replica: NAME }), returns<{ readonly removed: boolean }>()),

  'project.enroll': method(schema({ project: NAME, ticket: field.string({ max: 64 * 1024 }) }), returns<MembershipView>()),
  'project.join': method(schema({ project: NAME }), returns<MembershipView>()),
  'project.leave': method(schema({ project: NAME }), returns<{ readonly project: string }>()),
  'project.refresh': method(schema({ project: NAME }), returns<RefreshView>()),
  'project.ticket': method(schema({
    ...PROJECT,
    attributes: optional(field.stringMap()),
    usageCount: optional(field.integer()),
    expiresInMs: optional(field.integer()),
    relays: optional(field.stringList()),
    enroller: optional(field.boolean()),
    /** With `enroller`: attribute grants (`NAME=VALUE`, `NAME=*`) and relay names the new enroller may grant. */
    mayGrant: optional(field.stringList()),
    mayGrantRelays: optional(field.stringList()),
  }), returns<TicketView>()),
  'project.member.add': method(schema({
    ...PROJECT, identifier: NAME, attributes: optional(field.stringMap()), role: optional(field.enum(['member', 'enroller', 'admin'])),
    mayGrant: optional(field.stringList()), mayGrantRelays: optional(field.stringList()),
  }), returns<MemberResult>()),
  'project.member.list': method(schema(PROJECT), returns<MemberList>()),
  'project.member.show': method(schema({ ...PROJECT, identifier: NAME }), returns<MemberResult>()),
  /** The attribute names the project's members carry (any member may ask; names only). */
  'project.attribute-names': method(schema(PROJECT), returns<AttributeNames>()),
  'project.member.remove': method(schema({ ...PROJECT, identifier: NAME }), returns<MemberRemovalView>()),
  'project.member.suspend': method(schema({ ...PROJECT, identifier: NAME }), returns<MemberSuspension>()),
  'project.member.resume': method(schema({ ...PROJECT, identifier: NAME }), returns<{ readonly resumed: boolean }>()),
  /** The authority's attested credential-signing keys, one per project node replica (admins). */
  'project.signer.list': method(schema(PROJECT), returns<SignerList>()),
  /** Withdraws a signing key's attestation (admins): `key` is its `K...` id. */
  'project.signer.withdraw': method(schema({ ...PROJECT, key: field.string({ max: 64 }) }), returns<{ readonly project: string; readonly signer: SignerInfo }>()),
  /** The revocation lists this node applies (see node/daemon/node-revocations.ts). */
  'revocations.show': method(NO_PARAMS, returns<RevocationsView>()),
  'project.audit.show': method(schema({
    ...PROJECT, afterSeq: optional(field.integer({ min: 0 })), sinceTime: optional(field.integer()), subject: optional(NAME), limit: optional(field.integer()),
  }), returns<AuditRecords>()),
  'project.audit.export': method(schema({
    ...PROJECT, upToSeq: optional(field.integer({ min: 0 })), afterSeq: optional(field.integer({ min: 0 })),
    sign: optional(field.boolean()), header: optional(field.boolean()),
  }), returns<AuditExport>()),
  /** An inclusion proof (`seq`, optional `checkpoint`) or a consistency proof (`first`, `second`), as JSON text. */
  'project.audit.prove': method(schema({
    ...PROJECT, seq: optional(field.integer()), checkpoint: optional(field.integer()), first: optional(field.integer()), second: optional(field.integer()),
  }), returns<{ readonly proof: string }>()),
} as const;

/** The node control API's table type. */
export type NodeApi = typeof NODE_API;

/** A method name of the node control API. */
export type NodeMethod = keyof NodeApi & string;

/** The params of node method `M`. */
export type NodeParams<M extends NodeMethod> = MethodParams<NodeApi, M>;

/** The result of node method `M`. */
export type NodeResult<M extends NodeMethod> = MethodResult<NodeApi, M>;

/** The node API's method names, sorted. */
export const NODE_METHODS: readonly NodeMethod[] = (Object.keys(NODE_API) as NodeMethod[]).sort();

/** True when `name` is a method of the node API. */
export function isNodeMethod(name: string): name is NodeMethod {
  return Object.hasOwn(NODE_API, name);
}

/**
 * Checks the params of a call of `method` against its schema; throws InvalidInputError
 * (origin `node`) naming the first unknown, missing or malformed parameter.
 */
export function validateNodeParams<M extends NodeMethod>(method: M, params: Readonly<Record<string, unknown>>): NodeParams<M> {
  return validateParams(NODE_API[method].params, params, 'node') as NodeParams<M>;
}
