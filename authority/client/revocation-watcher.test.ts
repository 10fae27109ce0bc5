import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../core/errors.js';
import type { SignedRevocationList } from '../revocation-list.js';
import { AuthorityServiceError } from './authority-service-error.js';
import { RevocationWatcher } from './revocation-watcher.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LIST = { list: new Uint8Array(1), signature: { type: 'ed25519', bytes: new Uint8Array(1) }, attestation: new Uint8Array(1) } as unknown as SignedRevocationList;
const refused = (message: string): AuthorityServiceError => new AuthorityServiceError('revocations', 'list', 'unauthorized', message);

const watchers: RevocationWatcher[] = [];
afterEach(async () => {
  for (const w of watchers.splice(0)) await w.stop();
});

/** A watcher whose fetches answer from `answers` in turn (the last one repeats); counts fetches. */
function watch(answers: Array<SignedRevocationList | Error>, refusedIntervalMs = 60_000): { calls: () => number; notMember: () => number } {
  let calls = 0;
  let notMember = 0;
  const watcher = new RevocationWatcher({
    intervalMs: 100, refusedIntervalMs,
    fetchList: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onList: () => undefined,
    onNotMember: () => { notMember++; },
  });
  watchers.push(watcher);
  watcher.start();
  return { calls: () => calls, notMember: () => notMember };
}

describe('RevocationWatcher', () => {
  it('keeps its interval while the member is suspended, so a resumed member applies lists again within seconds', async () => {
    const w = watch([refused('revocations.list refused: this member is suspended')]);
    await sleep(1_500);
    expect(w.calls()).toBeGreaterThanOrEqual(3);
    expect(w.notMember()).toBe(0);
  });

  it('slows down after "not a member", also when later fetches get no answer at all', async () => {
    const w = watch([refused('revocations.list refused: not a member of this project')]);
    await sleep(800);
    expect([w.calls(), w.notMember()]).toEqual([1, 1]);

    // Later fetches that get no answer stay at the slow interval (400 ms here) until a list arrives.
    const x = watch([LIST, refused('revocations.list refused: not a member of this project'), new TimeoutError('authority', 'no answer')], 400);
    await sleep(1_500);
    // At the usual 100 ms there would be about 14 fetches; timers may run late, never early.
    expect(x.calls()).toBeLessThanOrEqual(6);
    expect(x.calls()).toBeGreaterThanOrEqual(2);
  });

  it('a fetch that gets no answer before any refusal is retried at the usual interval', async () => {
    const w = watch([new TimeoutError('authority', 'no answer')]);
    await sleep(1_500);
    expect(w.calls()).toBeGreaterThanOrEqual(3);
  });
});
