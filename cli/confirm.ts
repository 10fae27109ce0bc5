import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { InvalidInputError } from '../core/errors.js';

/** The `--yes` flag of commands that destroy state. */
export const yesFlag = Flags.boolean({ char: 'y', description: 'do not ask for confirmation (required when not on a terminal)', default: false });

/**
 * Asks before a destructive step. With `yes`, goes ahead. On a terminal (stdin and stderr
 * are TTYs), asks `question [y/N]` on stderr and throws InvalidInputError
 * unless the answer is y/yes. Elsewhere (scripts, CI, --json) refuses with an error that
 * names `--yes`, so nothing is destroyed by accident.
 */
export async function confirmDestructive(yes: boolean, question: string, { json = false }: { json?: boolean } = {}): Promise<void> {
  if (yes) return;
  if (json || !process.stdin.isTTY || !process.stderr.isTTY) {
    throw new InvalidInputError('cli', `${question.replace(/\?$/, '')}: refused without confirmation; pass --yes to go ahead`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new InvalidInputError('cli', 'cancelled: nothing was changed');
  } finally {
    rl.close();
  }
}
