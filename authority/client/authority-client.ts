import { AbortedError, InvalidInputError, IoError, SymbolonError, TimeoutError } from '../../core/errors.js';
import type { AccessControl } from '../../core/node/access-control.js';
import type { Node } from '../../core/node/node.js';
import { local } from '../../core/routing/address.js';
import type { Route } from '../../core/routing/message.js';
import type { AuditEntry } from '../audit-record.js';
import type { AuditQuery, MemberRecord, Role } from '../authority-store.js';
import type { TicketOptions } from '../authority.js';
import { decodeEnrollmentTicket } from '../enrollment-ticket.js';
import { Params } from '../services/params.js';
import { decodeResponse, encodeRequest, newRequestId, type WireMap } from '../services/protocol.js';
import { signedListFromWire, type SignedRevocationList } from '../revocation-list.js';
import { DEFAULT_AUTHORITY_SERVICE_ADDRESSES, type AuthorityServiceName } from '../services/service-addresses.js';
import { auditEntryFromWire, credentialFromWire, memberFromWire, signerFromWire, type FetchedCredential, type SignerView } from '../services/wire-records.js';
import { errorFromReply } from './authority-service-error.js';

/** Options of {@link AuthorityClient}. */
export interface AuthorityClientOptions {
  /** How long to wait for each reply (default 15 s). */
  readonly timeoutMs?: number;
  /** When set, only replies that came through a secure channel from this identifier are accepted. */
  readonly authority?: string;
  /** Service addresses on the project node (default the standard ones). */
  readonly addresses?: Partial<Record<AuthorityServiceName, string>>;
  /**
   * Aborts when the secure channel the route runs through closes: a call waiting for its
   * answer then fails at once with an `io` error instead of waiting out its timeout.
   */
  readonly channelClosed?: AbortSignal;
}

/** Options of each call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  readonly timeoutMs?: number;
}

/** What enrollment returns. */
export interface EnrollResult {
  readonly member: MemberRecord;
  /** The first credential; absent when the authority could not issue it (see `credentialError`). */
  readonly credential?: FetchedCredential;
  readonly credentialError?: string;
}

/** One page of `audit show` (see {@link AuthorityClient.auditShowPage}). */
export interface AuditShowPage {
  readonly records: AuditEntry[];
  /** `afterSeq` of the following page; absent when the authority did not cut this page short. */
  readonly next?: number;
}

/**
 * Where an audit export page starts: `upToSeq` and `afterSeq` from the previous page; on the
 * first page (no `upToSeq`) `afterSeq` starts an incremental export, `sign: false` skips
 * signing a checkpoint for the head and `header: false` leaves out the header line.
 */
export interface AuditExportPageCursor {
  readonly upToSeq?: number;
  readonly afterSeq?: number;
  readonly sign?: boolean;
  readonly header?: boolean;
}

/** One page of an audit export (see {@link AuthorityClient.auditExportPage}). */
export interface AuditExportPageResult {
  readonly lines: string[];
  /** The export covers records up to this `seq` (a signed checkpoint). */
  readonly upToSeq: number;
  /** `afterSeq` of the following page; absent on the last page. */
  readonly next?: number;
}

/** A ticket created through the `tickets` service. */
export interface CreatedTicketInfo {
  /** The single printable ticket line for the enrollee (a secret). */
  readonly ticket: string;
  /** SHA-256 of the code, as the audit log shows it. */
  readonly hash: string;
  readonly expiresAt: number;
  readonly usageCount: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Pages a listing follows at most (a bound against a misbehaving authority). */
const MAX_PAGES = 100_000;
/** Most replica routes a project serves (as in tickets). */
const MAX_REPLICA_ROUTES = 32;

/**
 * Calls the authority services of a project node over `routeToAuthority`, a route that runs
 * through a secure channel to the project node (the caller creates the channel; the
 * services know the caller by the channel's authenticated identity). Refusals are thrown
 * as {@link TicketRefusedError} or AuthorityServiceError with the authority's one-line
 * message, a missing reply as TimeoutError.
 */
export class AuthorityClient {
  private readonly timeoutMs: number;
  private readonly addresses: Readonly<Record<AuthorityServiceName, string>>;
  private readonly replies: AccessControl | undefined;
  private readonly channelClosed: AbortSignal | undefined;

  constructor(private readonly node: Node, private readonly routeToAuthority: Route, options: AuthorityClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.channelClosed = options.channelClosed;
    this.addresses = { ...DEFAULT_AUTHORITY_SERVICE_ADDRESSES, ...options.addresses };
    const expected = options.authority;
    this.replies = expected === undefined ? undefined : {
      isAuthorized: ({ message }) => message.origin?.via === 'channel' && message.origin.peer?.identifier === expected,
    };
  }

  /** Redeems a ticket (its printable line or its 32-byte code): this node's identity becomes a member. */
  async enroll(ticketOrCode: string | Uint8Array, options: CallOptions = {}): Promise<EnrollResult> {
    const code = typeof ticketOrCode === 'string' ? decodeEnrollmentTicket(ticketOrCode).code : ticketOrCode;
    const result = new Params(await this.call('enrollment', 'redeem', { code }, options)).only('member', 'credential', 'credentialError');
    const credential = result.optionalMap('credential');
    const credentialError = result.optionalString('credentialError', 1000);
    return {
      member: memberFromWire(result.nested('member')),
      ...(credential === undefined ? {} : { credential: credentialFromWire(credential) }),
      ...(credentialError === undefined ? {} : { credentialError }),
    };
  }

  /** A fresh credential for this node's identity (members only). */
  async fetchCredential(options: CallOptions = {}): Promise<FetchedCredential> {
    return credentialFromWire(await this.call('credentials', 'issue', {}, options));
  }

  /** Creates an enrollment ticket (admins and enrollers; enroller tickets admins only). */
  async createTicket(ticket: TicketOptions = {}, options: CallOptions = {}): Promise<CreatedTicketInfo> {
    const params = {
      ...ticket, attributes: ticket.attributes === undefined ? undefined : { ...ticket.attributes }, relays: ticket.relays === undefined ? undefined : [...ticket.relays],
      mayGrant: ticket.mayGrant === undefined ? undefined : [...ticket.mayGrant], mayGrantRelays: ticket.mayGrantRelays === undefined ? undefined : [...ticket.mayGrantRelays],
    };
    const p = new Params(await this.call('tickets', 'create', params, options)).only('ticket', 'hash', 'expiresAt', 'usageCount');
    return { ticket: p.string('ticket', 64 * 1024), hash: p.string('hash', 64), expiresAt: p.integer('expiresAt'), usageCount: p.integer('usageCount') };
  }

  /** Adds or replaces a member (admins only); `mayGrant` / `mayGrantRelays` give an enroller its scope. */
  async addMember(
    identifier: string,
    member: { attributes?: Readonly<Record<string, string>>; role?: Role; mayGrant?: readonly string[]; mayGrantRelays?: readonly string[] } = {},
    options: CallOptions = {},
  ): Promise<MemberRecord> {
    const params = {
      identifier, attributes: member.attributes === undefined ? undefined : { ...member.attributes }, role: member.role,
      mayGrant: member.mayGrant === undefined ? undefined : [...member.mayGrant], mayGrantRelays: member.mayGrantRelays === undefined ? undefined : [...member.mayGrantRelays],
    };
    return memberFromWire(new Params(await this.call('members', 'add', params, options)).only('member').nested('member'));
  }

  /** All members, ordered by identifier (admins only). */
  async listMembers(options: CallOptions = {}): Promise<MemberRecord[]> {
    const members: MemberRecord[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const p = new Params(await this.call('members', 'list', { after }, options)).only('members', 'next');
      members.push(...p.mapList('members').map(memberFromWire));
      after = p.optionalString('next', 256);
      if (after === undefined) return members;
    }
    throw new InvalidInputError('authority', 'the member list did not end');
  }

  /** One member (admins, or a member asking about itself); the error has kind `not-found` when it is not a member. */
  async showMember(identifier: string, options: CallOptions = {}): Promise<MemberRecord> {
    return memberFromWire(new Params(await this.call('members', 'show', { identifier }, options)).only('member').nested('member'));
  }

  /** The attribute names the project's members carry, sorted (any member may ask). */
  async attributeNames(options: CallOptions = {}): Promise<string[]> {
    return new Params(await this.call('members', 'attribute-names', {}, options)).only('names').stringList('names');
  }

  /**
   * Removes a member (admins only): `removed` false when it was not a member; else
   * `accessEndedAt`, from when its credentials are revoked (ms), and `revokedUntil`, until
   * when the revocation is published (the last expiry of a credential issued to it).
   */
  async removeMember(identifier: string, options: CallOptions = {}): Promise<MemberRemoval> {
    const p = new Params(await this.call('members', 'remove', { identifier }, options)).only('removed', 'accessEndedAt', 'revokedUntil');
    const removed = p.optionalBoolean('removed');
    if (removed === undefined) throw new InvalidInputError('authority', 'the authority did not say whether the member was removed');
    const accessEndedAt = p.optionalInteger('accessEndedAt');
    const revokedUntil = p.optionalInteger('revokedUntil');
    return { removed, ...(accessEndedAt === undefined ? {} : { accessEndedAt }), ...(revokedUntil === undefined ? {} : { revokedUntil }) };
  }

  /** Suspends a member (admins only): its credentials are revoked until resumed. Returns when access ended (ms). */
  async suspendMember(identifier: string, options: CallOptions = {}): Promise<{ accessEndedAt: number }> {
    return { accessEndedAt: new Params(await this.call('members', 'suspend', { identifier }, options)).only('accessEndedAt').integer('accessEndedAt') };
  }

  /** Ends a member's suspension (admins only); false when it was not suspended. */
  async resumeMember(identifier: string, options: CallOptions = {}): Promise<boolean> {
    return new Params(await this.call('members', 'resume', { identifier }, options)).only('resumed').optionalBoolean('resumed') === true;
  }

  /** The authority's attested signing keys, one per project node replica, withdrawn ones too (admins only). */
  async listSigners(options: CallOptions = {}): Promise<SignerView[]> {
    const p = new Params(await this.call('signers', 'list', {}, options)).only('signers');
    return p.mapList('signers').map(signerFromWire);
  }

  /** Withdraws the attestation of signing key `keyId` (admins only); returns the signer as it now is. */
  async withdrawSigner(keyId: string, options: CallOptions = {}): Promise<SignerView> {
    return signerFromWire(new Params(await this.call('signers', 'withdraw', { key: keyId }, options)).only('signer').nested('signer'));
  }

  /**
   * The routes of the project's live replicas, the answering one first (members). Each is
   * checked for shape here (1-32 routes of 1-1024 characters, no duplicates); the caller
   * parses them before use. Throws InvalidInputError for a malformed answer.
   */
  async fetchReplicaRoutes(options: CallOptions = {}): Promise<string[]> {
    const routes = new Params(await this.call('replicas', 'routes', {}, options)).only('routes').optionalStringList('routes') ?? [];
    if (routes.length === 0 || routes.length > MAX_REPLICA_ROUTES || routes.some((r) => r.length === 0 || r.length > 1024) || new Set(routes).size !== routes.length) {
      throw new InvalidInputError('authority', `the replica routes the project served are malformed (want 1-${MAX_REPLICA_ROUTES} distinct routes of 1-1024 characters)`);
    }
    return routes;
  }

  /** The authority's signed revocation list (members); verify it with `verifyRevocationList`. */
  async fetchRevocationList(options: CallOptions = {}): Promise<SignedRevocationList> {
    return signedListFromWire(await this.call('revocations', 'list', {}, options));
  }

  /**
   * One page of audit records matching `filters`, in `seq` order (admins only): at most
   * `filters.limit` (default 100, at most 1000) and at most one reply's worth of bytes.
   * `next` is the `afterSeq` of the following page when the authority cut the page short.
   */
  async auditShowPage(filters: AuditQuery = {}, options: CallOptions = {}): Promise<AuditShowPage> {
    const params = { afterSeq: filters.afterSeq, sinceTime: filters.sinceTime, subject: filters.subject, limit: filters.limit };
    const p = new Params(await this.call('audit', 'show', params, options)).only('records', 'next');
    const records = p.mapList('records').map(auditEntryFromWire);
    const next = p.optionalInteger('next');
    return next === undefined ? { records } : { records, next };
  }

  /** Audit records matching `filters`, in `seq` order, at most `filters.limit` (default 100; admins only). */
  async auditShow(filters: AuditQuery = {}, options: CallOptions = {}): Promise<AuditEntry[]> {
    const limit = filters.limit ?? 100;
    const records: AuditEntry[] = [];
    let afterSeq = filters.afterSeq;
    for (let page = 0; page < MAX_PAGES && records.length < limit; page++) {
      const got = await this.auditShowPage({ ...filters, afterSeq, limit: limit - records.length }, options);
      records.push(...got.records);
      afterSeq = got.next;
      if (afterSeq === undefined) break;
    }
    return records;
  }

  /**
   * One page of the audit export (admins only): JSONL lines of at most one reply's worth.
   * Start with no cursor (the authority checkpoints its head and the first page starts with
   * the header), then pass the returned `upToSeq` and `next` (as `afterSeq`) until `next`
   * is absent. Throws when the authority's cursor does not advance.
   */
  async auditExportPage(cursor: AuditExportPageCursor = {}, options: CallOptions = {}): Promise<AuditExportPageResult> {
    const p = new Params(await this.call('audit', 'export', { upToSeq: cursor.upToSeq, afterSeq: cursor.afterSeq, sign: cursor.sign, header: cursor.header }, options)).only('lines', 'upToSeq', 'next');
    const lines = p.optionalStringList('lines') ?? [];
    const upToSeq = p.integer('upToSeq');
    const next = p.optionalInteger('next');
    if (next === undefined) return { lines, upToSeq };
    if ((cursor.afterSeq !== undefined && next <= cursor.afterSeq) || next >= upToSeq) throw new InvalidInputError('authority', 'the audit export did not advance');
    return { lines, upToSeq, next };
  }

  /** The whole audit log as JSONL export lines, ending with a signed checkpoint (admins only). For large logs use {@link auditExportPage}. */
  async auditExport(options: CallOptions = {}): Promise<string[]> {
    const lines: string[] = [];
    let cursor: { upToSeq?: number; afterSeq?: number } = {};
    for (let page = 0; page < MAX_PAGES; page++) {
      const got = await this.auditExportPage(cursor, options);
      lines.push(...got.lines);
      if (got.next === undefined) return lines;
      cursor = { upToSeq: got.upToSeq, afterSeq: got.next };
    }
    throw new InvalidInputError('authority', 'the audit export did not end');
  }

  /**
   * An audit proof as JSON text (admins only): the inclusion of record `seq` (against the
   * checkpoint at `checkpoint`, default one signed now), or with `first` and `second` the
   * consistency of two checkpoints. Verify it offline with `verifyAuditProof`.
   */
  async auditProve(request: { readonly seq: number; readonly checkpoint?: number } | { readonly first: number; readonly second: number }, options: CallOptions = {}): Promise<string> {
    return new Params(await this.call('audit', 'prove', { ...request }, options)).only('proof').string('proof', 1024 * 1024);
  }

  /** Sends one request to a service and returns its result map, or throws the error it answered with. */
  async call(service: AuthorityServiceName, method: string, params: WireMap, options: CallOptions = {}): Promise<WireMap> {
    const id = newRequestId();
    const payload = encodeRequest({ id, method, params });
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const route = [...this.routeToAuthority, local(this.addresses[service])];
    const closed = this.channelClosed;
    const signal = closed === undefined ? options.signal : options.signal === undefined ? closed : AbortSignal.any([options.signal, closed]);
    let reply;
    try {
      reply = await this.node.request(route, payload, { timeoutMs, signal, ...(this.replies ? { incoming: this.replies } : {}) });
    } catch (error) {
      if (error instanceof TimeoutError) throw new TimeoutError('authority', `the authority's ${service} service did not answer within ${timeoutMs} ms`, { cause: error });
      if (closed?.aborted === true && options.signal?.aborted !== true) {
        throw new IoError('authority', `the channel to the project node closed before the ${service} service answered; ask again`, { cause: error });
      }
      if (error instanceof AbortedError) throw new AbortedError('authority', `${service} request aborted`, { cause: error });
      throw error;
    }
    let response;
    try {
      response = decodeResponse(reply.payload);
    } catch (error) {
      throw new InvalidInputError('authority', `the authority's ${service} service sent a malformed reply: ${(error as Error).message}`, { cause: error });
    }
    if (response.id !== id) throw new InvalidInputError('authority', `the authority's ${service} service answered another request`);
    if (!response.ok) throw errorFromReply(service, method, response.error);
    return response.result;
  }
}

/** What {@link AuthorityClient.removeMember} returns. */
export interface MemberRemoval {
  readonly removed: boolean;
  readonly accessEndedAt?: number;
  readonly revokedUntil?: number;
}

/** True when `error` is a refusal by the authority (as opposed to a transport failure or timeout). */
export function isAuthorityRefusal(error: unknown): boolean {
  return error instanceof SymbolonError && error.origin === 'authority' && ['unauthorized', 'not-found', 'expired'].includes(error.kind);
}
