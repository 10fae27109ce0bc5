import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { daemonCommand } from './daemon-command.js';

describe('daemonCommand', () => {
  it('runs node-main.ts through tsx when running from sources', () => {
    const { command, args } = daemonCommand('/h', 'n1');
    expect(command).toBe(process.execPath);
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/^file:.*\/tsx\//);
    const entry = args[3]!;
    expect(entry.endsWith('/node/daemon/node-main.ts')).toBe(true);
    expect(existsSync(entry)).toBe(true);
    expect(args.slice(4)).toEqual(['--home', '/h', '--name', 'n1']);
  });
});
