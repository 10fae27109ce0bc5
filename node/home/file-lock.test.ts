import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimeoutError } from '../../core/errors.js';
import { withFileLock } from './file-lock.js';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('withFileLock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sym-lock-'));
  const path = join(dir, 'file.json');

  it('holds the lock file while fn runs, allows nesting, and removes it after', () => {
    const result = withFileLock(path, () => {
      expect(existsSync(`${path}.lock`)).toBe(true);
      return withFileLock(path, () => 42);
    });
    expect(result).toBe(42);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('releases the lock when fn throws', () => {
    expect(() => withFileLock(path, () => { throw new Error('boom'); })).toThrow('boom');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('breaks a lock left by a process that is gone', () => {
    writeFileSync(`${path}.lock`, `${deadPid()}\n`);
    expect(withFileLock(path, () => 'ok', { timeoutMs: 2000 })).toBe('ok');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('breaks a lock older than the maximum age even when its pid is alive (pid reuse)', () => {
    writeFileSync(`${path}.lock`, `${process.ppid}\n`);
    const old = new Date(Date.now() - 120_000);
    utimesSync(`${path}.lock`, old, old);
    expect(withFileLock(path, () => 'ok', { timeoutMs: 2000 })).toBe('ok');
  });

  it('times out naming the holder while a live process holds the lock', () => {
    writeFileSync(`${path}.lock`, `${process.ppid}\n`);
    try {
      expect(() => withFileLock(path, () => 'never', { timeoutMs: 300 })).toThrow(TimeoutError);
      expect(() => withFileLock(path, () => 'never', { timeoutMs: 300 })).toThrow(new RegExp(`by process ${process.ppid}`));
    } finally {
      rmSync(`${path}.lock`, { force: true });
    }
  });
});
