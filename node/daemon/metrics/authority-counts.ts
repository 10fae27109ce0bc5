import type { AuthorityStore, AuthorityTransaction, RedemptionRefusal } from '../../../authority/authority-store.js';

/** What a project node's authority did since the node started; plain numbers, counted on commit. */
export interface AuthorityCounts {
  ticketsCreated: number;
  /** Tickets redeemed (enrollments that succeeded). */
  enrollments: number;
  /** Redemptions refused, by reason (every known reason present from the start). */
  enrollmentsRefused: Partial<Record<RedemptionRefusal, number>>;
  credentialsIssued: number;
  /** Credential requests refused (not a member, removed, attributes changed). */
  credentialsRefused: number;
  /** Requests refused for the caller's role (ticket or member management by a non-admin). */
  accessRefused: number;
}

/** The refusal reasons a redemption can have. */
const REDEMPTION_REFUSALS = ['unknown', 'expired', 'used-up', 'own-ticket', 'creator-not-authorised', 'suspended'] as const satisfies readonly RedemptionRefusal[];

/** Fresh zeroed counts. */
export function newAuthorityCounts(): AuthorityCounts {
  return {
    ticketsCreated: 0, enrollments: 0, enrollmentsRefused: Object.fromEntries(REDEMPTION_REFUSALS.map((r) => [r, 0])),
    credentialsIssued: 0, credentialsRefused: 0, accessRefused: 0,
  };
}

type Pending = Array<(counts: AuthorityCounts) => void>;

/**
 * `store`, counting into `counts` what its transactions commit: tickets created, tickets
 * redeemed or refused (by reason), credentials issued or refused, access refusals. A transaction that
 * rolls back (or is retried) counts nothing for that attempt; every other method is the
 * store's own. The counts come from the same calls that append the audit records, so they
 * agree with the audit log for the life of the process.
 */
export function countingAuthorityStore(store: AuthorityStore, counts: AuthorityCounts): AuthorityStore {
  const withTransaction: AuthorityStore['withTransaction'] = async (fn, options) => {
    let pending: Pending = [];
    const result = await store.withTransaction(async (tx) => {
      pending = [];
      return await fn(countingTransaction(tx, pending));
    }, options);
    for (const count of pending) count(counts);
    return result;
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'withTransaction') return withTransaction;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function countingTransaction(tx: AuthorityTransaction, pending: Pending): AuthorityTransaction {
  const counted: Partial<AuthorityTransaction> = {
    createTicket: async (ticket) => {
      await tx.createTicket(ticket);
      pending.push((c) => { c.ticketsCreated++; });
    },
    redeemTicket: async (hash, enrollee, now) => {
      const redemption = await tx.redeemTicket(hash, enrollee, now);
      if (redemption.ok) pending.push((c) => { c.enrollments++; });
      return redemption;
    },
    recordCredentialIssued: async (issuance, actor) => {
      await tx.recordCredentialIssued(issuance, actor);
      pending.push((c) => { c.credentialsIssued++; });
    },
    recordRefusal: async (type, actor, fields) => {
      await tx.recordRefusal(type, actor, fields);
      // A refusal beyond the audit log's per-window budget is written later, as part of a
      // `refusals.aggregated` record with its count: counted then.
      const aggregated = type === 'refusals.aggregated';
      const refused = aggregated ? String(fields.refusedType) : type;
      const n = aggregated ? (typeof fields.count === 'number' ? fields.count : 0) : 1;
      const reason = String(fields.reason) as RedemptionRefusal;
      if (refused === 'ticket.refused') pending.push((c) => { c.enrollmentsRefused[reason] = (c.enrollmentsRefused[reason] ?? 0) + n; });
      else if (refused === 'credential.refused') pending.push((c) => { c.credentialsRefused += n; });
      else if (refused === 'access.refused') pending.push((c) => { c.accessRefused += n; });
    },
  };
  return new Proxy(tx, {
    get(target, property, receiver) {
      if (Object.hasOwn(counted, property)) return counted[property as keyof AuthorityTransaction];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
