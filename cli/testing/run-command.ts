import { vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Command, Config } from '@oclif/core';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What one in-process command run printed and returned. */
export interface CommandRun {
  readonly result: unknown;
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  /** stdout parsed as JSON (for `--json` runs). */
  json(): any;
}

/** Runs a command class in-process (as `symbolon ...argv` would) and captures what it prints. */
export async function runCommand(cmd: { run: typeof Command.run }, argv: string[]): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { stdout += String(c); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { stderr += String(c); return true; });
  try {
    const result = await (cmd as unknown as { run(argv: string[], opts: Partial<Config>): Promise<unknown> }).run(argv, { root });
    return { result, stdout, stderr, code: Number(process.exitCode ?? 0), json: () => JSON.parse(stdout) };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}
