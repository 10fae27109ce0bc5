import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import type { Message, MessageOrigin } from '../core/routing/message.js';
import { DenialLog } from './denial-log.js';
import { PolicyAccessControl } from './policy-access-control.js';
import { FilePolicyStore } from './policy-store-file.js';

const AUTHORITY = 'Iauthority';
function message(origin?: MessageOrigin): Message {
  return { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) };
}
const analysis: MessageOrigin = { via: 'channel', peer: { identifier: 'Ianalysis', attributes: { component: 'analysis' }, authority: AUTHORITY, channel: 'enc1' } };
const db: MessageOrigin = { via: 'channel', peer: { identifier: 'Idb', attributes: { component: 'db' }, authority: AUTHORITY, channel: 'enc2' } };
const anonymous: MessageOrigin = { via: 'channel', peer: { identifier: 'Ianon', attributes: {}, channel: 'enc3' } };

class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object; msg?: string }> = [];
  debug(obj: object, msg?: string): void { this.lines.push({ level: 'debug', obj, msg }); }
  info(obj: object, msg?: string): void { this.lines.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string): void { this.lines.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string): void { this.lines.push({ level: 'error', obj, msg }); }
  child(): Logger { return this; }
}

describe('PolicyAccessControl', () => {
  let dir: string;
  let store: FilePolicyStore;
  let logger: RecordingLogger;
  let denials: DenialLog;
  let authorities: string[];
  let control: PolicyAccessControl;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symbolon-ac-'));
    store = await FilePolicyStore.open(join(dir, 'policies.json'));
    logger = new RecordingLogger();
    denials = new DenialLog({ logger, capacity: 3 });
    authorities = [AUTHORITY];
    control = new PolicyAccessControl({
      resource: { type: 'worker', name: 'echo', node: 'n1' }, action: 'send', store,
      trustedAuthorities: () => authorities, denials, clock: () => Date.parse('2026-01-01T12:00:00Z'),
    });
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  const ask = (origin?: MessageOrigin): boolean | Promise<boolean> => control.isAuthorized({ address: 'echo', direction: 'incoming', message: message(origin) });

  it('allows local traffic whatever the policy', async () => {
    await store.create({ kind: 'resource', name: 'echo' }, 'false');
    expect(ask()).toBe(true);
    expect(ask({ via: 'local' })).toBe(true);
    expect(denials.counts().total).toBe(0);
  });

  it('defaults to the trusted authority, and to deny when none is configured', () => {
    expect(ask(analysis)).toBe(true);
    expect(ask(anonymous)).toBe(false);
    expect(ask({ via: 'tcp' })).toBe(false);
    authorities = [];
    expect(ask(analysis)).toBe(false);
    expect(denials.counts()).toEqual({ total: 3, byResource: { 'worker/echo': 3 } });
  });

  it('applies the resource policy, logs the denial with its failing part, and reveals nothing', async () => {
    await store.create({ kind: 'resource', name: 'echo' }, 'subject.component == "analysis"');
    expect(ask(analysis)).toBe(true);
    expect(ask(db)).toBe(false);
    const [denial] = denials.recent(1);
    expect(denial).toMatchObject({
      at: '2026-01-01T12:00:00.000Z', resource: { type: 'worker', name: 'echo', node: 'n1' }, action: 'send', subject: 'Idb',
      reason: 'denied by resource echo policy: `subject.component == "analysis"` evaluated to false',
      policy: { scope: { kind: 'resource', name: 'echo' }, expression: 'subject.component == "analysis"' },
    });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'access denied', obj: { subject: 'Idb', action: 'send' } });
  });

  it('lets bare TCP through only when a policy allows the empty subject', async () => {
    await store.create({ kind: 'resource-type', type: 'worker' }, '!has(subject.identifier)');
    expect(ask({ via: 'tcp' })).toBe(true);
    expect(ask(analysis)).toBe(false);
    expect(denials.recent(1)[0]?.reason).toMatch(/evaluated to true/);
  });

  it('follows policy changes without being rebuilt', async () => {
    expect(ask(db)).toBe(true);
    await store.create({ kind: 'resource-type', type: 'worker' }, 'subject.component == "analysis"');
    expect(ask(db)).toBe(false);
    await store.delete({ kind: 'resource-type', type: 'worker' });
    expect(ask(db)).toBe(true);
  });

  it('denies, without throwing, when the authority callback throws', () => {
    const broken = new PolicyAccessControl({
      resource: { type: 'worker', name: 'echo', node: 'n1' }, action: 'send', store, denials,
      trustedAuthorities: () => { throw new Error('boom'); },
    });
    expect(broken.isAuthorized({ address: 'echo', direction: 'incoming', message: message(analysis) })).toBe(false);
  });
});

describe('DenialLog', () => {
  it('keeps the last N, newest first, and counts all', () => {
    const log = new DenialLog({ capacity: 3 });
    for (let i = 0; i < 5; i++) {
      log.record({ at: `t${i}`, resource: { type: 'relay', name: i % 2 ? 'a' : 'b', node: 'n' }, action: 'create', reason: `r${i}` });
    }
    expect(log.recent().map((d) => d.reason)).toEqual(['r4', 'r3', 'r2']);
    expect(log.recent(2).map((d) => d.reason)).toEqual(['r4', 'r3']);
    expect(log.recent(0)).toEqual([]);
    expect(log.counts()).toEqual({ total: 5, byResource: { 'relay/b': 3, 'relay/a': 2 } });
  });
});
