import type { AccessControl } from '../../core/node/access-control.js';
import type { Node } from '../../core/node/node.js';
import { LOCAL } from '../../core/routing/address.js';
import type { Authority } from '../authority.js';
import { auditMethods } from './audit-service.js';
import { credentialsMethods } from './credentials-service.js';
import { enrollmentMethods } from './enrollment-service.js';
import { membersMethods } from './members-service.js';
import { AUTHORITY_SERVICE_NAMES, DEFAULT_AUTHORITY_SERVICE_ADDRESSES, type AuthorityServiceName } from './service-addresses.js';
import { AuthorityServiceWorker, type ServiceMethod, type ServiceStats } from './service-worker.js';
import { revocationsMethods } from './revocations-service.js';
import { ticketsMethods } from './tickets-service.js';
import { signersMethods } from './signers-service.js';
import { replicasMethods } from './replicas-service.js';


/** Deadline of one `audit` service request (see DEFAULT_REQUEST_TIMEOUT_MS for the others). */
export const AUDIT_REQUEST_TIMEOUT_MS = 10 * 60_000;
/**
 * The default incoming access control of every authority service: the message came
 * through a secure channel that authenticated its peer. Local and bare-TCP messages are
 * denied (they carry no identity to act for).
 */
export const requireChannelPeer: AccessControl = {
  isAuthorized: ({ message }) => message.origin?.via === 'channel' && message.origin.peer !== undefined,
};

/** Options of {@link startAuthorityServices}. */
export interface AuthorityServicesOptions {
  readonly authority: Authority;
  /**
   * Incoming access control of each service's address (a policy enforcement point for
   * resource type `authority`, name = the service). Default {@link requireChannelPeer}.
   * Keep `enrollment` open to every channel peer: enrollees hold no credential yet.
   */
  readonly accessControl?: (service: AuthorityServiceName) => AccessControl;
  /** Worker addresses; default {@link DEFAULT_AUTHORITY_SERVICE_ADDRESSES}. */
  readonly addresses?: Partial<Record<AuthorityServiceName, string>>;
  /** Requests each service handles concurrently (default 32). */
  readonly maxInFlight?: number;
}

/** Running authority services. */
export interface AuthorityServices {
  /** The worker address of each service. */
  readonly addresses: Readonly<Record<AuthorityServiceName, string>>;
  /** Counters per service. */
  stats(service: AuthorityServiceName): Readonly<ServiceStats>;
  /** Stops every service worker (running requests are aborted). Idempotent. */
  stop(): Promise<void>;
}

const METHODS: Readonly<Record<AuthorityServiceName, (a: Authority) => Record<string, ServiceMethod>>> = {
  enrollment: enrollmentMethods,
  credentials: credentialsMethods,
  tickets: ticketsMethods,
  members: membersMethods,
  audit: auditMethods,
  revocations: revocationsMethods,
  signers: signersMethods,
  replicas: replicasMethods,
};

/**
 * Starts the enrollment, credentials, tickets, members and audit services as workers on
 * `node`. Who may do what is decided twice: the access control attached to each address
 * (default: any authenticated channel peer), then the Authority's role checks for the
 * caller `message.origin.peer.identifier` (audited). If one service fails to start, those
 * already started are stopped again.
 */
export async function startAuthorityServices(node: Node, options: AuthorityServicesOptions): Promise<AuthorityServices> {
  const addresses = { ...DEFAULT_AUTHORITY_SERVICE_ADDRESSES, ...options.addresses };
  const workers = new Map<AuthorityServiceName, AuthorityServiceWorker>();
  const started: string[] = [];
  const stopAll = async (): Promise<void> => {
    for (const address of started.splice(0).reverse()) {
      if (node.hasWorker(address)) await node.stopWorker(address);
    }
  };
  try {
    for (const name of AUTHORITY_SERVICE_NAMES) {
      // The audit service only reads and checkpoints (a first checkpoint over a long log
      // builds its tree, which takes long): no caller's change is at stake, so its requests
      // run under a longer deadline than the others'.
      const requestTimeoutMs = name === 'audit' ? AUDIT_REQUEST_TIMEOUT_MS : undefined;
      const worker = new AuthorityServiceWorker(name, METHODS[name](options.authority), {
        maxInFlight: options.maxInFlight, ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
        // A reply leaves through the caller's channel, the first hop of its return route.
        replyRouteOpen: (route) => route[0]?.type !== LOCAL || node.hasWorker(route[0].value),
      });
      await node.startWorker(addresses[name], worker, { incoming: options.accessControl?.(name) ?? requireChannelPeer });
      workers.set(name, worker);
      started.push(addresses[name]);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    addresses,
    stats: (service) => ({ ...workers.get(service)!.stats }),
    stop: () => (stopping ??= stopAll()),
  };
}
