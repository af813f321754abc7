/** Asking before destructive verbs, as Velero's `--confirm` flow does (reference §8.1). */
import { createInterface } from 'node:readline/promises';
import { FlagError } from './errors.ts';

/**
 * `true` when `--confirm` was given or the user answers y on a terminal. Without a
 * terminal there is nobody to ask, so the command refuses rather than guessing.
 */
export async function confirmed(question: string, confirm: boolean | undefined, flag = '--confirm'): Promise<boolean> {
  if (confirm) return true;
  if (!process.stdin.isTTY) {
    throw new FlagError([`${question} needs confirmation: stdin is not a terminal, so rerun with ${flag}`]);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} Are you sure you want to continue (Y/N)? `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
