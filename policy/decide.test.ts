import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import type { PolicySubject } from './decide.js';
import { FilePolicyStore } from './policy-store-file.js';
import type { PolicyScope } from './policy.js';
import { trustScope, type TrustedProject, type TrustScope } from './trust-scope.js';

const AUTHORITY = 'Iauthority';
const analysis: PolicySubject = { identifier: 'Ianalysis', attributes: { component: 'analysis', env: 'prod', groups: 'ops,dba' }, authority: AUTHORITY };
const db: PolicySubject = { identifier: 'Idb', attributes: { component: 'db', env: 'dev' }, authority: AUTHORITY };
const stranger: PolicySubject = { identifier: 'Istranger', attributes: { component: 'analysis' }, authority: 'Iother' };
const bare: PolicySubject = { identifier: 'Ibare', attributes: {} };
/** Vouched for by the second trusted project, `other`, which even claims to be `bank`. */
const outsider: PolicySubject = { identifier: 'Ioutsider', attributes: { component: 'analysis', project: 'bank', authority: AUTHORITY }, authority: 'Iother' };
const OWN: TrustedProject = { name: 'bank', authority: AUTHORITY, own: true };
const OTHER: TrustedProject = { name: 'other', authority: 'Iother', own: false };
const BANK_ONLY = trustScope([OWN]);
const NOON = new Date('2026-03-10T12:30:00Z');
const NIGHT = new Date('2026-03-10T23:30:00Z');
const LATE = new Date('2031-01-01T00:00:00Z');

interface Row {
  readonly name: string;
  readonly policies: ReadonlyArray<[PolicyScope, string]>;
  readonly subject: PolicySubject | undefined;
  readonly resource?: { type: string; name: string };
  readonly action?: string;
  readonly now?: Date;
  /** Trusted projects; default: only `bank` (own). */
  readonly trust?: TrustedProject[];
  readonly allowed: boolean;
  readonly reason?: RegExp;
}

const byName = (name: string): PolicyScope => ({ kind: 'resource', name });
const byType = (type: string): PolicyScope => ({ kind: 'resource-type', type });

const rows: Row[] = [
  // defaults
  { name: 'default allows a credential from the trusted authority', policies: [], subject: analysis, allowed: true, reason: /allowed by default/ },
  { name: 'default denies a credential from another authority', policies: [], subject: stranger, allowed: false, reason: /no credential from the authority of this node's project/ },
  { name: 'default denies a subject without credential', policies: [], subject: bare, allowed: false },
  { name: 'default denies an unauthenticated sender', policies: [], subject: undefined, allowed: false, reason: /not authenticated/ },
  { name: 'no authority configured denies even a credentialed subject', policies: [], subject: analysis, trust: [], allowed: false, reason: /trusts no authority/ },
  { name: 'no authority configured: an explicit policy allows', policies: [[byType('worker'), 'subject.identifier == "Ibare"']], subject: bare, trust: [], allowed: true },
  // trust scoped to its authority
  { name: 'who vouched is visible', policies: [[byName('echo'), 'subject.project == "bank" && subject.authority == "Iauthority"']], subject: analysis, allowed: true },
  { name: 'default denies a credential from another trusted project', policies: [], subject: outsider, trust: [OWN, OTHER], allowed: false, reason: /no credential from the authority of this node's project/ },
  { name: 'a policy that does not name the project sees only the own project\'s attributes', policies: [[byName('echo'), 'subject.component == "analysis"']], subject: outsider, trust: [OWN, OTHER], allowed: false, reason: /from project other, not this node's own/ },
  { name: 'a policy naming subject.project admits another trusted project', policies: [[byName('echo'), 'subject.project == "other" && subject.component == "analysis"']], subject: outsider, trust: [OWN, OTHER], allowed: true },
  { name: 'a policy naming subject.authority admits another trusted project', policies: [[byName('echo'), 'subject["authority"] == "Iother" && subject.component == "analysis"']], subject: outsider, trust: [OWN, OTHER], allowed: true },
  { name: 'credential attributes named project or authority never override who vouched', policies: [[byName('echo'), 'subject.project == "bank" || subject.authority == "Iauthority"']], subject: outsider, trust: [OWN, OTHER], allowed: false },
  { name: 'an authority the node does not trust vouches for nothing', policies: [[byName('echo'), 'has(subject.project) || has(subject.authority) || has(subject.component)']], subject: outsider, allowed: false },
  { name: 'an untrusted authority still leaves the identifier', policies: [[byName('echo'), 'subject.identifier == "Ioutsider"']], subject: outsider, allowed: true },
  { name: 'unauthenticated sender allowed only by an explicit policy', policies: [[byName('echo'), '!has(subject.identifier)']], subject: undefined, allowed: true },
  { name: 'unauthenticated sender: policy reading an attribute denies', policies: [[byName('echo'), 'subject.component == "analysis"']], subject: undefined, allowed: false, reason: /no such key: component/ },
  // precedence
  { name: 'resource policy beats resource-type policy (allow)', policies: [[byType('worker'), 'false'], [byName('echo'), 'true']], subject: bare, allowed: true, reason: /resource echo/ },
  { name: 'resource policy beats resource-type policy (deny)', policies: [[byType('worker'), 'true'], [byName('echo'), 'false']], subject: analysis, allowed: false, reason: /resource echo/ },
  { name: 'resource-type policy beats the default (deny)', policies: [[byType('worker'), 'subject.component == "db"']], subject: analysis, allowed: false, reason: /resource-type worker.*evaluated to false/ },
  { name: 'resource-type policy beats the default (allow)', policies: [[byType('worker'), 'subject.identifier == "Ibare"']], subject: bare, allowed: true },
  { name: 'policy of another resource does not apply', policies: [[byName('other'), 'false']], subject: analysis, allowed: true, reason: /default/ },
  { name: 'policy of another type does not apply', policies: [[byType('relay'), 'false']], subject: analysis, allowed: true, reason: /default/ },
  // attributes
  { name: 'component match', policies: [[byName('echo'), 'subject.component == "analysis"']], subject: analysis, allowed: true },
  { name: 'component mismatch', policies: [[byName('echo'), 'subject.component == "analysis"']], subject: db, allowed: false },
  { name: 'missing attribute denies', policies: [[byName('echo'), 'subject.team == "x"']], subject: analysis, allowed: false, reason: /no such key: team/ },
  { name: 'missing attribute negated still denies', policies: [[byName('echo'), 'subject.team != "x"']], subject: analysis, allowed: false },
  { name: 'has() guards a missing attribute', policies: [[byName('echo'), '!has(subject.team) || subject.team == "x"']], subject: analysis, allowed: true },
  { name: 'has() true when present', policies: [[byName('echo'), 'has(subject.component)']], subject: db, allowed: true },
  { name: 'prototype names are not attributes', policies: [[byName('echo'), 'has(subject.toString) || has(subject.constructor)']], subject: analysis, allowed: false },
  { name: 'environment list with in (member)', policies: [[byName('echo'), 'subject.env in ["prod", "staging"]']], subject: analysis, allowed: true },
  { name: 'environment list with in (not member)', policies: [[byName('echo'), 'subject.env in ["prod", "staging"]']], subject: db, allowed: false },
  { name: 'identifier allow list', policies: [[byName('echo'), 'subject.identifier in ["Idb", "Ianalysis"]']], subject: analysis, allowed: true },
  { name: 'identifier allow list excludes others', policies: [[byName('echo'), 'subject.identifier in ["Idb"]']], subject: analysis, allowed: false },
  { name: 'startsWith', policies: [[byName('echo'), 'subject.identifier.startsWith("Iana")']], subject: analysis, allowed: true },
  { name: 'startsWith false', policies: [[byName('echo'), 'subject.identifier.startsWith("Iana")']], subject: db, allowed: false },
  { name: 'comma-separated groups with split and exists', policies: [[byName('echo'), 'subject.groups.split(",").exists(g, g == "dba")']], subject: analysis, allowed: true },
  { name: 'matches (RE2)', policies: [[byName('echo'), 'subject.component.matches("^ana[a-z]+$")']], subject: analysis, allowed: true },
  { name: 'matches false', policies: [[byName('echo'), 'subject.component.matches("^ana[a-z]+$")']], subject: db, allowed: false },
  // resource and action
  { name: 'resource variables', policies: [[byType('worker'), 'resource.type == "worker" && resource.name == "echo" && resource.node == "n1"']], subject: bare, allowed: true },
  { name: 'action restricts', policies: [[byName('echo'), 'action == "send"']], subject: bare, action: 'create', allowed: false },
  { name: 'action allows', policies: [[byName('echo'), 'action in ["send", "receive"]']], subject: bare, action: 'send', allowed: true },
  // time
  { name: 'now before a deadline', policies: [[byName('echo'), 'now < timestamp("2030-01-01T00:00:00Z")']], subject: bare, now: NOON, allowed: true },
  { name: 'now after a deadline', policies: [[byName('echo'), 'now < timestamp("2030-01-01T00:00:00Z")']], subject: bare, now: LATE, allowed: false },
  { name: 'business hours by getHours (inside)', policies: [[byName('echo'), 'now.getHours() >= 9 && now.getHours() < 18']], subject: bare, now: NOON, allowed: true },
  { name: 'business hours by getHours (outside)', policies: [[byName('echo'), 'now.getHours() >= 9 && now.getHours() < 18']], subject: bare, now: NIGHT, allowed: false, reason: /now.getHours\(\) < 18/ },
  { name: 'time zone aware hours', policies: [[byName('echo'), 'now.getHours("America/New_York") == 8']], subject: bare, now: NOON, allowed: true },
  { name: 'weekday', policies: [[byName('echo'), 'now.getDayOfWeek() >= 1 && now.getDayOfWeek() <= 5']], subject: bare, now: NOON, allowed: true },
  { name: 'duration arithmetic', policies: [[byName('echo'), 'now - duration("24h") > timestamp("2026-03-09T00:00:00Z")']], subject: bare, now: NOON, allowed: true },
  // errors
  { name: 'evaluation error denies (bad int conversion)', policies: [[byName('echo'), 'int(subject.component) > 0']], subject: analysis, allowed: false, reason: /failed/ },
  { name: 'dynamic invalid regex denies', policies: [[byName('echo'), 'subject.component.matches(subject.groups + "(")']], subject: analysis, allowed: false },
  { name: 'error || true allows (CEL commutative or)', policies: [[byName('echo'), 'subject.team == "x" || true']], subject: analysis, allowed: true },
  { name: 'error && false denies naming the false part', policies: [[byName('echo'), 'subject.team == "x" && false']], subject: analysis, allowed: false, reason: /`false` evaluated to false/ },
];

describe('decide: semantics table', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'symbolon-decide-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it.each(rows.map((r, i) => [r.name, r, i] as const))('%s', async (_name, row, i) => {
    const store = await FilePolicyStore.open(join(dir, `p${i}.json`));
    for (const [scope, expression] of row.policies) await store.create(scope, expression);
    const resource = { type: row.resource?.type ?? 'worker', name: row.resource?.name ?? 'echo', node: 'n1' };
    const decision = decide(
      { subject: row.subject, resource, action: row.action ?? 'send', now: row.now ?? NOON },
      { policies: store, trust: row.trust ? trustScope(row.trust) : BANK_ONLY },
    );
    expect(decision.allowed).toBe(row.allowed);
    if (row.reason) expect(decision.reason).toMatch(row.reason);
    expect(decision.policy !== undefined).toBe(store.policyFor(resource) !== undefined);
  });

  it('a subject over the attribute limits is denied when a policy applies', async () => {
    const store = await FilePolicyStore.open(join(dir, 'limits.json'));
    await store.create(byType('worker'), 'true');
    const huge: PolicySubject = { identifier: 'I1', attributes: { big: 'x'.repeat(5000) }, authority: AUTHORITY };
    const decision = decide({ subject: huge, resource: { type: 'worker', name: 'echo', node: 'n' }, action: 'send', now: NOON }, { policies: store, trust: BANK_ONLY });
    expect(decision).toMatchObject({ allowed: false, reason: expect.stringMatching(/exceeds the size limits/) });
  });

  it('returns the same frozen allow decision for repeated allows (no allocation per decision)', async () => {
    const store = await FilePolicyStore.open(join(dir, 'frozen.json'));
    await store.create(byName('echo'), 'subject.component == "analysis"');
    const request = { subject: analysis, resource: { type: 'worker', name: 'echo', node: 'n' }, action: 'send', now: NOON };
    const a = decide(request, { policies: store, trust: BANK_ONLY });
    const b = decide(request, { policies: store, trust: BANK_ONLY });
    expect(a.allowed).toBe(true);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('a new trust scope (the node joined or left a project) is seen by the next decision', async () => {
    const store = await FilePolicyStore.open(join(dir, 'rescope.json'));
    await store.create(byName('echo'), 'subject.project == "other"');
    const request = { subject: outsider, resource: { type: 'worker', name: 'echo', node: 'n' }, action: 'send', now: NOON };
    const scopes: TrustScope[] = [trustScope([OWN, OTHER]), BANK_ONLY];
    expect(scopes.map((trust) => decide(request, { policies: store, trust }).allowed)).toEqual([true, false]);
  });
});
