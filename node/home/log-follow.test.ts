import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { followLog, logLevel, logLineFilter } from './log-follow.js';

const line = (time: number, level: number, msg: string): string => JSON.stringify({ level, time, msg });

describe('node log filters and following', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps lines at or after --since and at or above --level', () => {
    const keep = logLineFilter({ since: 2000, level: 'warn' })!;
    expect(keep(line(1000, 50, 'old error'))).toBe(false);
    expect(keep(line(3000, 30, 'new info'))).toBe(false);
    expect(keep(line(3000, 40, 'new warning'))).toBe(true);
    expect(keep('not json')).toBe(false);
    expect(logLineFilter({})).toBeUndefined();
    expect(() => logLevel('loud')).toThrow("unknown log level 'loud': use one of trace, debug, info, warn, error, fatal");
  });

  it('follows appended lines from the end, across a rotation, until aborted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sym-follow-'));
    dirs.push(dir);
    const path = join(dir, 'node.log');
    writeFileSync(path, `${line(1, 30, 'before')}\n`);
    const seen: string[] = [];
    const stop = new AbortController();
    const following = followLog(path, (l) => seen.push((JSON.parse(l) as { msg: string }).msg), { signal: stop.signal, intervalMs: 20 });
    const two = line(3, 30, 'two');
    appendFileSync(path, `${line(2, 30, 'one')}\n${two.slice(0, 10)}`);
    await expect.poll(() => seen).toEqual(['one']);
    appendFileSync(path, `${two.slice(10)}\n`);
    await expect.poll(() => seen).toEqual(['one', 'two']);
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${line(4, 30, 'three')}\n`);
    await expect.poll(() => seen).toEqual(['one', 'two', 'three']);
    stop.abort();
    await following;
  });
});
