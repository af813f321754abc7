/**
 * What every `skiff <noun> get [NAMES...]` shares (reference §8.2): the named objects or those a
 * `-l` selector picks, in the server namespace, printed as a table or as json/yaml (several as a
 * `v1 List`). Each noun gives only its kind, its order and its table.
 */
import { Command } from '@commander-js/extra-typings';
import type { KindInfo } from '../api/kinds.ts';
import type { KubeObject } from '../kube/object.ts';
import { CliContext } from './context.ts';
import { formatObjects, parseOutputFormat } from './output.ts';
import { getNamedOrSelected } from './resources.ts';

export interface GetCommandSpec<T extends KubeObject> {
  kind: KindInfo;
  /** `backups`, as the help names them. */
  plural: string;
  description: string;
  examples: readonly string[];
  /** The listing order: newest first for operations, by name for locations and repositories. */
  order: (objects: T[]) => T[];
  table: (objects: readonly T[], now: Date) => string;
  /** One more boolean flag that narrows the listing (`backup-location get --default`). */
  only?: { flag: `--${string}`; description: string; keep: (object: T) => boolean };
}

export function getCommand<T extends KubeObject>(spec: GetCommandSpec<T>) {
  const cmd = new Command('get')
    .description(spec.description)
    .argument('[names...]', `${spec.plural} to show (default: all)`)
    .option('-l, --selector <selector>', `only ${spec.plural} whose labels match this selector`)
    .option('-o, --output <format>', 'table, json or yaml', 'table');
  if (spec.only) cmd.option(spec.only.flag, spec.only.description);
  return cmd
    .addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`)
    .action(async (names, flags, command) => {
      const ctx = CliContext.fromCommand(command);
      const output = parseOutputFormat(flags.output) ?? 'table';
      let objects = await getNamedOrSelected<T>(ctx.cluster(), spec.kind, ctx.namespace, names, flags.selector);
      const { only } = spec;
      if (only && command.getOptionValue(optionKey(only.flag)) === true) objects = objects.filter(only.keep);
      objects = spec.order(objects);
      process.stdout.write(
        output === 'table' ? spec.table(objects, new Date()) : formatObjects(objects, output, names.length !== 1),
      );
    });
}

/** Commander's key of a long flag: `--default` → `default`, `--only-ready` → `onlyReady`. */
function optionKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** By name, for objects whose listing is an inventory rather than a history. */
export function byName<T extends KubeObject>(objects: T[]): T[] {
  return objects.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}
