import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLogLines } from '../home/node-log.js';
import { RotatingLogFile } from './rotating-log-file.js';

describe('RotatingLogFile', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotating-log-'));
    path = join(dir, 'node.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sizes = (): number[] => readdirSync(dir).map((n) => statSync(join(dir, n)).size);

  it('keeps a synchronous burst of pino lines within maxFiles files of maxSize bytes', () => {
    const file = new RotatingLogFile(path, { maxSize: 8192, maxFiles: 3 });
    const log = pino({ base: { pid: 7 } }, file);
    for (let i = 0; i < 5000; i++) log.info({ i, pad: 'x'.repeat(60) }, 'line');
    file.end();
    expect(readdirSync(dir).sort()).toEqual(['node.log', 'node.log.1', 'node.log.2']);
    for (const size of sizes()) expect(size).toBeLessThanOrEqual(8192);
    // The newest lines are in node.log, consecutive across the rotated files.
    const lines = readLogLines(path, 10_000).map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines.at(-1)).toBe(4999);
    expect(lines.length).toBeGreaterThan(100);
    lines.forEach((n, k) => { if (k > 0) expect(n).toBe(lines[k - 1]! + 1); });
  });

  it('cuts a line longer than maxSize and drops extra rotated files left by a larger limit', () => {
    writeFileSync(join(dir, 'node.log.7'), 'old\n');
    const file = new RotatingLogFile(path, { maxSize: 4096, maxFiles: 2 });
    expect(readdirSync(dir)).toEqual(['node.log']);
    file.write(`${'y'.repeat(10_000)}\n`);
    file.write('short\n');
    file.end();
    expect(sizes().every((s) => s <= 4096)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('short\n');
    expect(readFileSync(`${path}.1`, 'utf8').endsWith('y\n')).toBe(true);
  });

  it('with maxFiles 1 keeps only the current file', () => {
    const file = new RotatingLogFile(path, { maxSize: 4096, maxFiles: 1 });
    for (let i = 0; i < 1000; i++) file.write(`line ${i}\n`);
    file.end();
    expect(readdirSync(dir)).toEqual(['node.log']);
    expect(readFileSync(path, 'utf8').trim().split('\n').at(-1)).toBe('line 999');
  });
});
