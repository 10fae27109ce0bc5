// Test helper: two workers that carry messages between a caller and the authority services
// on one in-process node and stamp each message's origin as a secure channel would
// (`{ via: 'channel', peer }`), so the services see the caller's identity and the client
// sees the authority's. It authenticates nothing: tests use it where no real channel runs.
import type { Node } from '../../../core/node/node.js';
import type { Worker } from '../../../core/node/worker.js';
import { local } from '../../../core/routing/address.js';
import type { Message, Route } from '../../../core/routing/message.js';
import { allowAll } from '../../../core/node/access-control.js';

export interface StampedChannel {
  /** Route from the caller to the authority's node: append a service address. */
  readonly route: Route;
  stop(): Promise<void>;
}

let counter = 0;

export async function startStampedChannel(node: Node, caller: string, authority: string, attributes: Record<string, string> = {}): Promise<StampedChannel> {
  const n = ++counter;
  const toAuthority = `stamped.${n}.to-authority`;
  const toCaller = `stamped.${n}.to-caller`;
  const hop = (other: string, peer: string, peerAttributes: Record<string, string>): Worker => ({
    handleMessage: (ctx, message: Message) => {
      ctx.forward({
        onwardRoute: message.onwardRoute.slice(1),
        returnRoute: [local(other), ...message.returnRoute],
        payload: message.payload,
        origin: { via: 'channel', peer: { identifier: peer, attributes: peerAttributes, channel: other } },
      });
    },
  });
  await node.startWorker(toAuthority, hop(toCaller, caller, attributes), { incoming: allowAll });
  await node.startWorker(toCaller, hop(toAuthority, authority, {}), { incoming: allowAll });
  return {
    route: [local(toAuthority)],
    stop: async () => {
      for (const a of [toAuthority, toCaller]) if (node.hasWorker(a)) await node.stopWorker(a);
    },
  };
}
