import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { daemonCommand, gcArgs } from './daemon-command.js';

describe('daemonCommand', () => {
  it('runs node-main.ts through tsx when running from sources', () => {
    const { command, args } = daemonCommand('/h', 'n1', { gc: 'parallel' });
    expect(command).toBe(process.execPath);
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/^file:.*\/tsx\//);
    const entry = args[3]!;
    expect(entry.endsWith('/node/daemon/node-main.ts')).toBe(true);
    expect(existsSync(entry)).toBe(true);
    expect(args.slice(4)).toEqual(['--home', '/h', '--name', 'n1']);
  });

  it('puts the GC mode on the node command line, single-threaded by default on small machines', () => {
    expect(gcArgs('single-threaded', 64)).toEqual(['--single-threaded-gc']);
    expect(gcArgs('parallel', 2)).toEqual([]);
    expect(gcArgs('auto', 2)).toEqual(['--single-threaded-gc']);
    expect(gcArgs('auto', 16)).toEqual([]);
    const { args } = daemonCommand('/h', 'n1', { gc: 'single-threaded' });
    expect(args[0]).toBe('--single-threaded-gc');
    expect(args.slice(-4)).toEqual(['--home', '/h', '--name', 'n1']);
  });
});
