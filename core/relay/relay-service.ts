import type { AccessControl } from '../node/access-control.js';
import { allowAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import type { Logger } from '../logger.js';
import type { Message, PeerInfo, Route } from '../routing/message.js';
import { formatRoute } from '../routing/route.js';
import { LOCAL, local, sameAddress } from '../routing/address.js';
import { AbortedError, InvalidInputError } from '../errors.js';
import { decodeRelayMessage, encodeRelayMessage, isRelayName, RELAY_ADDRESS_PREFIX, relayAddress } from './relay-message.js';
import { RelayForwarder } from './relay-forwarder.js';
import type { RelayDirectory, RelayLocation } from './relay-directory.js';

/**
 * Opens (or reuses) a mutually authenticated secure channel to another replica of the
 * project; resolves the channel's local address and a signal that aborts when it closes.
 */
export type ReplicaConnector = (location: RelayLocation, options: { signal: AbortSignal }) => Promise<{ readonly address: string; readonly closed: AbortSignal }>;

/** Most messages held for one relay name while its holder is looked up. */
const MAX_PENDING_PER_RELAY = 64;
/** Deadline of a directory lookup plus the channel to the holding replica, in ms. */
const REMOTE_SETUP_TIMEOUT_MS = 8_000;
/** How long a removal waits for the directory to release the name (else the lease expires by itself), in ms. */
const RELEASE_TIMEOUT_MS = 2_000;

/**
 * Decides relay actions: `create` (register or refresh NAME) and `send` (a message through
 * `forward_to_NAME`). Policy: a subject whose credential allows NAME, or an admin.
 * A throw or rejection is a denial.
 */
export type RelayAuthorizer = (peer: PeerInfo | undefined, name: string, action: 'create' | 'send') => boolean | Promise<boolean>;

/** Options for {@link RelayService}. */
export interface RelayServiceOptions {
  /** Decides who may create and who may send through each relay. */
  readonly authorize: RelayAuthorizer;
  /** The service's worker address (default `relay`). */
  readonly address?: string;
  /** Access control on the service address itself (default allowAll: `authorize` decides per name). */
  readonly incoming?: AccessControl;
  /** A relay not refreshed for this long is removed, in ms (default 30 000). */
  readonly expireAfterMs?: number;
  /** Most relays at once (default 10 000). */
  readonly maxRelays?: number;
  /**
   * Told about every takeover attempt: a `create NAME` from a peer the policy allows to
   * create NAME while another peer holds it (answered `held`). For the operator's records
   * (denial log, audit); must not throw.
   */
  readonly onTakeoverAttempt?: (attempt: RelayTakeoverAttempt) => void;
  /**
   * The relay directory shared with the project's other replicas: a registration first
   * claims the name there, a removal releases it, and a message for a relay another replica
   * holds is forwarded to it through `connectReplica` (see docs/scaling.md).
   */
  readonly directory?: RelayDirectory;
  /** Opens the channel to another replica (needed with `directory`). */
  readonly connectReplica?: ReplicaConnector;
  readonly logger?: Logger;
}

/** A `create NAME` refused because another peer holds NAME. */
export interface RelayTakeoverAttempt {
  readonly name: string;
  /** The peer that asked (absent: unauthenticated). */
  readonly peer?: PeerInfo;
  /** The identifier of the peer holding the name (absent: an unauthenticated registrant). */
  readonly holder?: string;
}

/** One registered relay, as `list()` reports it. */
export interface RelayInfo {
  readonly name: string;
  /** Worker address on this node, `forward_to_NAME`. */
  readonly address: string;
  /** Identifier of the registering peer (absent for an unauthenticated local/TCP registrant). */
  readonly owner?: string;
  /** Route to the registering node, as text. */
  readonly route: string;
  readonly createdAt: number;
  readonly refreshedAt: number;
}

/** A relay held by another replica, reached through a channel to it. */
interface RemoteEntry {
  readonly replica: string;
  readonly forwarder: RelayForwarder;
}

interface Entry {
  readonly forwarder: RelayForwarder;
  readonly owner: string | undefined;
  readonly createdAt: number;
  refreshedAt: number;
}

/**
 * The project node's relay service: a worker that handles `create NAME` (register or
 * keep alive) and `delete NAME`. A live name belongs to the peer identifier that created
 * it (an unauthenticated registrant: to its connection); another peer is refused until
 * the owner deletes it or stops refreshing it. While the owner's first hop on this node
 * (its channel or connection) is gone, the relay forwards nothing and answers as if it
 * did not exist; the name stays its owner's until it expires.
 * Replies are `created`, `deleted` or `refused`, never a reason, except `held` to a peer the
 * policy allows to create a name another peer holds. A message to
 * `forward_to_NAME` without a live relay NAME is answered `unknown NAME` ("no such
 * relay"), back along the channel it came through, when its sender would be allowed to
 * send through NAME; anyone else learns nothing. See docs/portals.md.
 */
export class RelayService {
  readonly address: string;
  private readonly node: Node;
  private readonly options: RelayServiceOptions;
  private readonly expireAfterMs: number;
  private readonly maxRelays: number;
  private readonly logger: Logger;
  private readonly relays = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;
  private context: WorkerContext | undefined;
  private unsubscribeMissing: (() => void) | undefined;
  private unsubscribeDirectory: (() => void) | undefined;
  private readonly remote = new Map<string, RemoteEntry>();
  private readonly pending = new Map<string, Message[]>();
  private readonly stopping = new AbortController();

  constructor(node: Node, options: RelayServiceOptions) {
    this.node = node;
    this.options = options;
    this.address = options.address ?? 'relay';
    this.expireAfterMs = options.expireAfterMs ?? 30_000;
    this.maxRelays = options.maxRelays ?? 10_000;
    if (!Number.isInteger(this.expireAfterMs) || this.expireAfterMs < 10) throw new InvalidInputError('relay', 'expireAfterMs must be an integer >= 10');
    this.logger = (options.logger ?? node.logger).child({ service: this.address });
  }

  /** Starts the service worker and the expiry sweep. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw new AbortedError('relay');
    const worker: Worker = {
      initialize: (ctx) => { this.context = ctx; },
      handleMessage: (ctx, message) => this.onRequest(ctx, message),
    };
    await this.node.startWorker(this.address, worker, { incoming: this.options.incoming ?? allowAll });
    this.unsubscribeMissing = this.node.onMissingWorker(RELAY_ADDRESS_PREFIX, (message) => this.onUnknownRelay(message));
    this.unsubscribeDirectory = this.options.directory?.onChange((name, location) => this.onDirectoryChange(name, location));
    const every = Math.max(5, Math.floor(this.expireAfterMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Stops the service and removes every relay. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.unsubscribeMissing?.();
    this.unsubscribeMissing = undefined;
    this.unsubscribeDirectory?.();
    this.unsubscribeDirectory = undefined;
    this.stopping.abort();
    await stopIfPresent(this.node, this.address);
    this.context = undefined;
    await Promise.all([...this.remote.keys()].map((name) => this.dropRemote(name)));
    await Promise.all([...this.relays.keys()].map((name) => this.remove(name)));
  }

  /** Relays held by other replicas that this one forwards to: name and holding replica. */
  listForwarded(): Array<{ readonly name: string; readonly replica: string }> {
    return [...this.remote].map(([name, e]) => ({ name, replica: e.replica }));
  }

  /** Removes every relay registered by `owner` at once (its access was revoked); returns their names. */
  async removeOwnedBy(owner: string): Promise<string[]> {
    const names = [...this.relays].filter(([, e]) => e.owner === owner).map(([name]) => name);
    await Promise.all(names.map((name) => this.remove(name)));
    if (names.length > 0) this.logger.info({ relays: names, owner }, 'relays of a revoked identity removed');
    return names;
  }

  /** The registered relays. */
  list(): RelayInfo[] {
    return [...this.relays.entries()].map(([name, e]) => ({
      name,
      address: relayAddress(name),
      ...(e.owner === undefined ? {} : { owner: e.owner }),
      route: formatRoute(e.forwarder.route),
      createdAt: e.createdAt,
      refreshedAt: e.refreshedAt,
    }));
  }

  private async onRequest(ctx: WorkerContext, message: Message): Promise<void> {
    let request;
    try {
      request = decodeRelayMessage(message.payload);
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'malformed relay request dropped');
      return;
    }
    if (request.type !== 'create' && request.type !== 'delete') return;
    const peer = message.origin?.peer;
    const reply = (type: 'created' | 'deleted' | 'refused' | 'held'): void => ctx.send(message.returnRoute, encodeRelayMessage({ type }));
    const current = this.live(request.name);
    // The registrant's own worker is the last hop of the return route: the relay forwards
    // to the node in front of it.
    const toOwner = message.returnRoute.slice(0, -1);
    // An authenticated owner may re-register from anywhere (a new channel after a failure);
    // an unauthenticated one only over the same first hop (the same connection).
    const isOwner = current !== undefined && current.owner === peer?.identifier &&
      (current.owner !== undefined || sameFirstHop(current.forwarder.route, toOwner));
    if (request.type === 'delete') {
      if (!isOwner) return reply('refused');
      await this.remove(request.name);
      this.logger.info({ relay: request.name, owner: peer?.identifier }, 'relay deleted');
      return reply('deleted');
    }
    if (toOwner.length === 0) {
      this.logger.info({ relay: request.name, peer: peer?.identifier }, 'relay create refused: no route back');
      return reply('refused');
    }
    // The policy first: a peer that may not create NAME learns nothing, not even that it is taken.
    if (!(await this.allowed(peer, request.name, 'create'))) {
      this.logger.info({ relay: request.name, peer: peer?.identifier }, 'relay create refused by policy');
      return reply('refused');
    }
    if (current !== undefined && !isOwner) {
      this.logger.warn({ relay: request.name, peer: peer?.identifier, owner: current.owner }, 'relay create refused: held by another peer');
      try {
        this.options.onTakeoverAttempt?.({ name: request.name, ...(peer ? { peer } : {}), ...(current.owner !== undefined ? { holder: current.owner } : {}) });
      } catch (error) {
        this.logger.warn({ relay: request.name, err: (error as Error).message }, 'recording a relay takeover attempt failed');
      }
      return reply('held');
    }
    const now = Date.now();
    if (current) {
      current.forwarder.retarget(toOwner);
      current.refreshedAt = now;
      return reply('created');
    }
    if (this.relays.size >= this.maxRelays) return reply('refused');
    const name = request.name;
    const directory = this.options.directory;
    if (directory !== undefined) {
      // Exactly one replica holds a name: claim it in the shared directory first.
      let claim;
      try {
        claim = await directory.claim(name, peer?.identifier, { signal: AbortSignal.timeout(REMOTE_SETUP_TIMEOUT_MS) });
      } catch (error) {
        this.logger.warn({ relay: name, err: (error as Error).message }, 'relay create refused: the relay directory is unavailable');
        return reply('refused');
      }
      if (!claim.claimed) {
        this.logger.warn({ relay: name, peer: peer?.identifier, owner: claim.holder }, 'relay create refused: held by another peer at another replica');
        try {
          this.options.onTakeoverAttempt?.({ name, ...(peer ? { peer } : {}), ...(claim.holder !== undefined ? { holder: claim.holder } : {}) });
        } catch (error) {
          this.logger.warn({ relay: name, err: (error as Error).message }, 'recording a relay takeover attempt failed');
        }
        return reply('held');
      }
      const meanwhile = this.relays.get(name);
      if (meanwhile !== undefined) return reply(meanwhile.owner === peer?.identifier && peer !== undefined ? 'created' : 'held'); // registered meanwhile
      await this.dropRemote(name);
    }
    const forwarder = new RelayForwarder(name, toOwner, {
      ownerGone: (first) => !this.node.hasWorker(first),
      onOwnerGone: (message) => this.answerUnknown(name, message),
    });
    // The owner's own traffic (replies) passes; everyone else needs the `send` permission.
    const sendControl: AccessControl = {
      isAuthorized: ({ message: m }) => forwarder.isFromOwner(m) || this.allowed(m.origin?.peer, name, 'send'),
    };
    await stopIfPresent(this.node, relayAddress(name));
    try {
      await this.node.startWorker(relayAddress(name), forwarder, { incoming: sendControl });
    } catch (error) {
      this.logger.warn({ relay: name, err: (error as Error).message }, 'relay could not start');
      return reply('refused');
    }
    this.relays.set(name, { forwarder, owner: peer?.identifier, createdAt: now, refreshedAt: now });
    this.logger.info({ relay: name, owner: peer?.identifier, route: formatRoute(toOwner) }, 'relay created');
    reply('created');
  }

  /** Runs the authorizer; synchronous when it is (the per-message `send` path); a throw or rejection denies. */
  private allowed(peer: PeerInfo | undefined, name: string, action: 'create' | 'send'): boolean | Promise<boolean> {
    const denied = (error: unknown): false => {
      this.logger.warn({ relay: name, action, err: error instanceof Error ? error.message : String(error) }, 'relay authorization failed');
      return false;
    };
    try {
      const result = this.options.authorize(peer, name, action);
      if (typeof result === 'boolean') return result;
      return Promise.resolve(result).then((ok) => ok === true, denied);
    } catch (error) {
      return denied(error);
    }
  }

  /** The entry for `name` unless it has expired (an expired one is removed). */
  private live(name: string): Entry | undefined {
    const entry = this.relays.get(name);
    if (entry && Date.now() - entry.refreshedAt > this.expireAfterMs) {
      void this.remove(name);
      this.logger.info({ relay: name }, 'relay expired');
      return undefined;
    }
    return entry;
  }

  /**
   * A message to `forward_to_NAME` without such a worker (see the class comment). With a
   * directory, the holding replica is looked up first and the message forwarded to it.
   */
  private onUnknownRelay(message: Message): void {
    const name = message.onwardRoute[0]!.value.slice(RELAY_ADDRESS_PREFIX.length);
    if (!isRelayName(name)) return;
    if (this.options.directory === undefined || this.options.connectReplica === undefined || this.stopping.signal.aborted) return this.answerUnknown(name, message);
    const queued = this.pending.get(name);
    if (queued !== undefined) {
      if (queued.length < MAX_PENDING_PER_RELAY) queued.push(message);
      return;
    }
    this.pending.set(name, [message]);
    void this.openRemote(name).then(() => {
      const messages = this.pending.get(name) ?? [];
      this.pending.delete(name);
      for (const m of messages) {
        if (this.node.hasWorker(relayAddress(name))) this.node.route(m);
        else this.answerUnknown(name, m);
      }
    });
  }

  /**
   * Starts a forwarder at `forward_to_NAME` towards the replica holding NAME, through a
   * secure channel to that replica, inside which the sender's end-to-end channel passes
   * untouched. Senders still need the `send` permission here. Never rejects.
   */
  private async openRemote(name: string): Promise<void> {
    const directory = this.options.directory!;
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(REMOTE_SETUP_TIMEOUT_MS)]);
    try {
      const location = await directory.lookup(name, { signal });
      if (location === undefined || location.replica === directory.replica) return;
      const link = await this.options.connectReplica!(location, { signal });
      if (this.node.hasWorker(relayAddress(name)) || link.closed.aborted || this.stopping.signal.aborted) return;
      const forwarder = new RelayForwarder(name, [local(link.address), local(relayAddress(name))]);
      const sendControl: AccessControl = {
        isAuthorized: ({ message: m }) => forwarder.isFromOwner(m) || this.allowed(m.origin?.peer, name, 'send'),
      };
      await this.node.startWorker(relayAddress(name), forwarder, { incoming: sendControl });
      this.remote.set(name, { replica: location.replica, forwarder });
      link.closed.addEventListener('abort', () => {
        if (this.remote.get(name)?.forwarder === forwarder) void this.dropRemote(name);
      }, { once: true });
      this.logger.info({ relay: name, replica: location.replica }, 'forwarding to the replica holding the relay');
    } catch (error) {
      this.logger.warn({ relay: name, err: (error as Error).message }, 'cannot reach the replica holding the relay');
    }
  }

  /** Stops forwarding `name` to another replica. */
  private async dropRemote(name: string): Promise<void> {
    if (this.remote.delete(name)) await stopIfPresent(this.node, relayAddress(name));
  }

  /** The directory says `name` changed hands: drop what this replica knew about it. */
  private onDirectoryChange(name: string, location: RelayLocation | undefined): void {
    const directory = this.options.directory!;
    const remote = this.remote.get(name);
    if (remote !== undefined && remote.replica !== location?.replica) void this.dropRemote(name);
    if (this.relays.has(name) && location !== undefined && location.replica !== directory.replica) {
      // Its owner registered it at another replica (it reconnected there): that one forwards now.
      this.logger.info({ relay: name, replica: location.replica }, 'relay moved to another replica');
      void this.remove(name, { release: false });
    }
  }

  /**
   * Answers `unknown NAME` along the channel `message` came through (its return route must
   * start with that channel's own address), when its sender may send through NAME.
   */
  private answerUnknown(name: string, message: Message): void {
    const ctx = this.context;
    const peer = message.origin?.peer;
    const back = message.returnRoute[0];
    if (ctx === undefined || peer?.channel === undefined || back === undefined || back.type !== LOCAL || back.value !== peer.channel) return;
    const reply = (): void => ctx.send(message.returnRoute, encodeRelayMessage({ type: 'unknown', name }));
    const allowed = this.allowed(peer, name, 'send');
    if (allowed === true) reply();
    else if (allowed !== false) void allowed.then((ok) => { if (ok) reply(); });
  }

  private sweep(): void {
    for (const name of [...this.relays.keys()]) this.live(name);
  }

  private async remove(name: string, { release = true }: { release?: boolean } = {}): Promise<void> {
    if (!this.relays.delete(name)) return;
    await stopIfPresent(this.node, relayAddress(name));
    if (!release || this.options.directory === undefined) return;
    try {
      await this.options.directory.release(name, { signal: AbortSignal.timeout(RELEASE_TIMEOUT_MS) });
    } catch (error) {
      // The lease expires by itself.
      this.logger.warn({ relay: name, err: (error as Error).message }, 'cannot release the relay lease');
    }
  }
}

function sameFirstHop(a: Route, b: Route): boolean {
  return a[0] !== undefined && b[0] !== undefined && sameAddress(a[0], b[0]);
}

/** Stops a worker if present; never rejects. */
async function stopIfPresent(node: Node, address: string): Promise<void> {
  if (!node.hasWorker(address)) return;
  try {
    await node.stopWorker(address);
  } catch {
    // Gone already (node stopping).
  }
}
