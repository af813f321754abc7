/**
 * The command tree as plain data, read from commander's objects, so the completion
 * scripts are generated from the commands that exist rather than kept by hand.
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';

export interface FlagInfo {
  /** `--output` */
  long?: string;
  /** `-o` */
  short?: string;
  /** The flag must be followed by a value (`--output json`); optional values (`--default[=bool]`) do not count. */
  takesValue: boolean;
  description: string;
}

export interface CommandNode {
  /** Words from the root, e.g. `['skiff', 'backup', 'create']`. */
  path: string[];
  description: string;
  flags: FlagInfo[];
  children: CommandNode[];
}

export function commandTree(cmd: CommandUnknownOpts, parent: string[] = []): CommandNode {
  const path = [...parent, cmd.name()];
  return {
    path,
    description: firstLine(cmd.description()),
    flags: cmd.options.map((o) => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      takesValue: o.required,
      description: firstLine(o.description),
    })),
    children: cmd.commands.map((c) => commandTree(c, path)),
  };
}

/** Every node, the root first, parents before children. */
export function allNodes(root: CommandNode): CommandNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}

/** Flags spelled as typed (`--output`, `-o`). */
export function flagWords(flags: readonly FlagInfo[]): string[] {
  return flags.flatMap((f) => [f.long, f.short].filter((w): w is string => w !== undefined));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
