import { LOCAL, local, sameAddress } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message, Route } from '../routing/message.js';
import type { Worker, WorkerContext } from '../node/worker.js';

/**
 * The worker at `forward_to_NAME` on the project node, relaying both ways between the
 * registering node (the owner) and everyone else:
 * - from anyone else: pops itself, prepends the route to the owner, keeps the rest of the
 *   onward route, and pushes itself on the return route, so replies come back through it;
 * - from the owner (the return route starts with the route to the owner): pops itself and
 *   replaces the owner's route on the return route by itself.
 * So the owner's route is never shown to the other side, and every message from the other
 * side passes this address's access control. The relay only moves (possibly end-to-end
 * encrypted) payloads; it cannot read them.
 *
 * When the owner's route starts at a local worker that `hooks.ownerGone` says is gone (its
 * channel or connection closed), a message from the other side goes to `hooks.onOwnerGone`
 * instead of into the void.
 */
export class RelayForwarder implements Worker {
  private toOwner: Route;
  private self: Address | undefined;

  constructor(
    readonly name: string,
    /** Route from the project node to the registering node. */
    toOwner: Route,
    private readonly hooks: RelayForwarderHooks = {},
  ) {
    this.toOwner = toOwner;
  }

  /** The current route to the registering node. */
  get route(): Route {
    return this.toOwner;
  }

  /** Points the relay at a new route (the owner re-registered over a new connection). */
  retarget(toOwner: Route): void {
    this.toOwner = toOwner;
  }

  /** True when `message` comes from the owner, i.e. its return route starts with the route to the owner. */
  isFromOwner(message: Message): boolean {
    const r = message.returnRoute;
    if (r.length < this.toOwner.length) return false;
    for (let i = 0; i < this.toOwner.length; i++) if (!sameAddress(r[i]!, this.toOwner[i]!)) return false;
    return this.toOwner.length > 0;
  }

  /** {@inheritDoc Worker.initialize} */
  initialize(ctx: WorkerContext): void {
    this.self = local(ctx.address);
  }

  /** {@inheritDoc Worker.handleMessage} */
  handleMessage(ctx: WorkerContext, message: Message): void {
    const rest = message.onwardRoute.slice(1);
    if (rest.length === 0) return; // addressed to the relay itself: nothing to deliver
    const self = this.self ?? local(ctx.address);
    if (this.isFromOwner(message)) {
      ctx.forward({ onwardRoute: rest, returnRoute: [self, ...message.returnRoute.slice(this.toOwner.length)], payload: message.payload });
    } else {
      const first = this.toOwner[0]!;
      const { ownerGone, onOwnerGone } = this.hooks;
      if (first.type === LOCAL && ownerGone !== undefined && ownerGone(first.value)) return onOwnerGone?.(message);
      ctx.forward({ onwardRoute: [...this.toOwner, ...rest], returnRoute: [self, ...message.returnRoute], payload: message.payload });
    }
  }
}

/** Optional hooks of a {@link RelayForwarder}. */
export interface RelayForwarderHooks {
  /** True when the local worker at `address` (the owner's first hop) no longer exists. */
  readonly ownerGone?: (address: string) => boolean;
  /** Gets a message from the other side that could not go on because the owner is gone. */
  readonly onOwnerGone?: (message: Message) => void;
}
