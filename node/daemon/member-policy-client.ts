import { createSecureChannel } from '../../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import { AbortedError, InvalidInputError, IoError, NotFoundError, SymbolonError, TimeoutError } from '../../core/errors.js';
import { assertIdentifier } from '../../core/identity/identifier.js';
import type { AccessControl } from '../../core/node/access-control.js';
import { memberRouteName } from '../../core/relay/member-route.js';
import { decodeRelayMessage, relayAddress } from '../../core/relay/relay-message.js';
import { local } from '../../core/routing/address.js';
import type { Message } from '../../core/routing/message.js';
import { decodeResponse, definedOnly, encodeRequest, newRequestId, type WireMap } from '../../authority/services/protocol.js';
import { MEMBER_POLICY_ADDRESS, type MemberPolicyMethod } from '../api/member-policy-wire.js';
import { PROJECT_LISTENER_ADDRESS } from '../home/project-node.js';
import type { ProjectRecord } from '../home/project-registry.js';
import type { DaemonContext } from './service.js';
import { nodeChannelOptions, projectFor } from './services/node-channels.js';

/** Handshake deadline of the channel to a member node, in ms. */
const MEMBER_HANDSHAKE_TIMEOUT_MS = 5_000;
/** How long to wait for the member node's answer, in ms. */
const MEMBER_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Calls `method` of the policy service on the node of project member `member`, as this
 * node's identity: over the node's channel to its project, through the member's management
 * route `member.<identifier>` at the project node, in an end-to-end secure channel that must
 * authenticate `member` itself (so neither the project node nor another member can answer in
 * its place). The channel is closed after the call. Rejects with NotFoundError when the
 * member's node has no route at the project (not running, not connected, not a member), with
 * TimeoutError when nothing answers (the project node forwards only for its admins), and with
 * the member node's own refusal (`refused`) or error otherwise.
 */
export async function callMemberPolicies(
  ctx: DaemonContext, member: string, method: MemberPolicyMethod, params: WireMap, { signal }: { signal?: AbortSignal } = {},
): Promise<WireMap> {
  assertIdentifier(member, 'member');
  if (member === ctx.identity.identifier) throw new InvalidInputError('policy', `${member} is this node's own identity: manage its policies without --at-member`);
  const project = projectFor(ctx);
  const toProject = await ctx.channels.toProject(project, signal ? { signal } : {});
  const route = [local(toProject.address), local(relayAddress(memberRouteName(member))), local(PROJECT_LISTENER_ADDRESS)];
  let channel: SecureChannel;
  try {
    channel = await ctx.channels.track(createSecureChannel(ctx.node, route, nodeChannelOptions(ctx, {
      authorize: (peer) => peer.identifier === member,
      handshakeTimeoutMs: MEMBER_HANDSHAKE_TIMEOUT_MS,
      routeError: noRoute(project, member, toProject),
      ...(signal ? { signal } : {}),
    })));
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof AbortedError) throw error;
    if (error instanceof SymbolonError && error.kind === 'timeout') {
      throw new TimeoutError('policy', `member ${member}'s node did not answer within ${MEMBER_HANDSHAKE_TIMEOUT_MS / 1000} s: the project node forwards only for the project's admins (is this identity an admin of project '${project.name}'?)`, { cause: error });
    }
    throw new IoError('policy', `cannot open a secure channel to member ${member}'s node through project '${project.name}': ${(error as Error).message}`, { cause: error });
  }
  try {
    const id = newRequestId();
    const fromMember: AccessControl = {
      isAuthorized: ({ message }) => message.origin?.via === 'channel' && message.origin.peer?.channel === channel.address && message.origin.peer.identifier === member,
    };
    let reply: Message;
    try {
      reply = await ctx.node.request([local(channel.address), local(MEMBER_POLICY_ADDRESS)], encodeRequest({ id, method, params: definedOnly(params) }), {
        timeoutMs: MEMBER_REQUEST_TIMEOUT_MS, incoming: fromMember, ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof TimeoutError) throw new TimeoutError('policy', `member ${member}'s node did not answer the ${method} request within ${MEMBER_REQUEST_TIMEOUT_MS / 1000} s`, { cause: error });
      throw error;
    }
    let response;
    try {
      response = decodeResponse(reply.payload);
    } catch (error) {
      throw new InvalidInputError('policy', `member ${member}'s node sent a malformed reply: ${(error as Error).message}`, { cause: error });
    }
    if (response.id !== id) throw new InvalidInputError('policy', `member ${member}'s node answered another request`);
    if (!response.ok) throw new SymbolonError('policy', response.error.kind, `member ${member}'s node: ${response.error.message}`);
    return response.result;
  } finally {
    await channel.close();
  }
}

/** The route error of the channel: the project node's `unknown member.<identifier>` reply, accepted only from its authority. */
function noRoute(project: ProjectRecord, member: string, toProject: SecureChannel): (message: Message) => Error | undefined {
  const name = memberRouteName(member);
  return (message) => {
    const peer = message.origin?.peer;
    if (message.origin?.via !== 'channel' || peer?.channel !== toProject.address || peer.identifier !== project.authorityIdentifier) return undefined;
    let decoded;
    try {
      decoded = decodeRelayMessage(message.payload);
    } catch {
      return undefined;
    }
    if (decoded.type !== 'unknown' || decoded.name !== name) return undefined;
    return new NotFoundError('policy', `member ${member} has no route at project '${project.name}': its node is not running, not connected to the project, or not a member`);
  };
}
