import { POLICY_LIMITS } from './limits.js';
import type { TrustScope } from './trust-scope.js';

/** Who asks: an authenticated peer, or undefined when nobody vouched for the sender. */
export interface PolicySubject {
  readonly identifier?: string;
  /** Attributes from the verified credential. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Identifier of the authority whose credential produced `attributes`. */
  readonly authority?: string;
}

/**
 * Names of `subject` that the node sets itself: `identifier` from the secure channel,
 * `authority` and `project` from the verified credential's issuer. A credential attribute
 * with one of these names is ignored, so an authority cannot make its member look vouched
 * for by another.
 */
export const RESERVED_SUBJECT_NAMES: ReadonlySet<string> = new Set(['identifier', 'authority', 'project']);

/**
 * Which credential attributes a `subject` record shows: `any-project` shows those of any
 * trusted authority (for a policy that names `subject.project` or `subject.authority`);
 * `own-project` shows only those of the node's own project's authority.
 */
export type SubjectView = 'any-project' | 'own-project';

/** A `subject` variable, or the reason it cannot be built (attribute limits exceeded). */
export type SubjectRecord = Readonly<Record<string, string>> | string;

const EMPTY_SUBJECT: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

interface Cached {
  readonly trust: TrustScope;
  anyProject?: SubjectRecord;
  ownProject?: SubjectRecord;
}
const cache = new WeakMap<PolicySubject, Cached>();

/**
 * The `subject` variable for a subject under `trust`: `identifier`; when a trusted
 * authority vouched, `authority` (its identifier) and `project` (the project it speaks
 * for); and the credential's attributes when `view` shows them (reserved names skipped).
 * A credential from an authority the node does not trust (any more) yields no attributes.
 * Null-prototype (so `has(subject.toString)` is false) and frozen; cached per subject object
 * and trust scope, so the hot path allocates nothing after the first decision.
 */
export function subjectRecord(subject: PolicySubject | undefined, trust: TrustScope, view: SubjectView): SubjectRecord {
  if (subject === undefined) return EMPTY_SUBJECT;
  let cached = cache.get(subject);
  if (cached === undefined || cached.trust !== trust) {
    cached = { trust };
    cache.set(subject, cached);
  }
  if (view === 'any-project') return cached.anyProject ??= buildSubject(subject, trust, view);
  return cached.ownProject ??= buildSubject(subject, trust, view);
}

function buildSubject(subject: PolicySubject, trust: TrustScope, view: SubjectView): SubjectRecord {
  const authority = subject.authority;
  const project = authority !== undefined ? trust.projectOf(authority) : undefined;
  const shown = project !== undefined && (view === 'any-project' || trust.isOwn(authority!));
  const record = Object.create(null) as Record<string, string>;
  if (shown) {
    const problem = copyAttributes(subject.attributes ?? {}, record);
    if (problem !== undefined) return problem;
  }
  if (subject.identifier !== undefined) record['identifier'] = subject.identifier;
  if (project !== undefined) {
    record['authority'] = authority!;
    record['project'] = project;
  }
  return Object.freeze(record);
}

/**
 * Copies attributes into `record`, skipping reserved names; returns the reason when they
 * exceed the policy limits (count, key and value lengths).
 */
export function copyAttributes(attributes: Readonly<Record<string, string>>, record: Record<string, string>): string | undefined {
  const entries = Object.entries(attributes);
  if (entries.length + 1 > POLICY_LIMITS.maxSubjectAttributes) {
    return `subject has ${entries.length} attributes, limit ${POLICY_LIMITS.maxSubjectAttributes - 1}`;
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || key.length > POLICY_LIMITS.maxKeyLength || value.length > POLICY_LIMITS.maxValueLength) {
      return `subject attribute ${JSON.stringify(key.slice(0, 32))} exceeds the size limits`;
    }
    if (!RESERVED_SUBJECT_NAMES.has(key)) record[key] = value;
  }
  return undefined;
}
