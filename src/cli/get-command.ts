/**
 * What every `skiff <noun> get [NAMES...]` shares (reference §8.1, §8.2): the named objects or
 * those a `-l` selector picks, in the server namespace, printed as a table (with kubectl's
 * `--show-labels` and `-L` label columns, as Velero's printer has them) or as json/yaml (several
 * as a `v1 List`). Each noun gives only its kind, its order and its columns.
 */
import { Command } from '@commander-js/extra-typings';
import type { KindInfo } from '../api/kinds.ts';
import type { KubeObject } from '../kube/object.ts';
import { CliContext } from './context.ts';
import { throwIfProblems } from './errors.ts';
import { formatObjects, formatTable, parseOutputFormat } from './output.ts';
import { getNamedOrSelected } from './resources.ts';

/** A noun's table: its columns, and one object's cells. */
export interface TableSpec<T extends KubeObject> {
  columns: readonly string[];
  row: (object: T, now: Date) => string[];
}

export interface GetCommandSpec<T extends KubeObject> extends TableSpec<T> {
  kind: KindInfo;
  /** `backups`, as the help names them. */
  plural: string;
  description: string;
  examples: readonly string[];
  /** The listing order: newest first for operations, by name for locations and repositories. */
  order: (objects: T[]) => T[];
  /** One more boolean flag that narrows the listing (`backup-location get --default`). */
  only?: { flag: `--${string}`; description: string; keep: (object: T) => boolean };
}

/** The table's extra columns: one per `-L` key, then LABELS with `--show-labels` (kubectl's order). */
export interface LabelColumns {
  keys: readonly string[];
  showLabels: boolean;
}

/** The table with the label columns added (pure). */
export function formatGetTable<T extends KubeObject>(
  spec: TableSpec<T>,
  objects: readonly T[],
  now: Date,
  labels: LabelColumns = { keys: [], showLabels: false },
): string {
  const headers = [
    ...spec.columns,
    ...labels.keys.map((k) => (k.split('/').pop() ?? k).toUpperCase()),
    ...(labels.showLabels ? ['LABELS'] : []),
  ];
  const rows = objects.map((o) => {
    const own = o.metadata.labels ?? {};
    const text = Object.keys(own)
      .sort()
      .map((k) => `${k}=${own[k]}`)
      .join(',');
    return [
      ...spec.row(o, now),
      ...labels.keys.map((k) => own[k] ?? ''),
      ...(labels.showLabels ? [text || '<none>'] : []),
    ];
  });
  return formatTable(headers, rows);
}

function collectKeys(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  ];
}

export function getCommand<T extends KubeObject>(spec: GetCommandSpec<T>) {
  const cmd = new Command('get')
    .description(spec.description)
    .argument('[names...]', `${spec.plural} to show (default: all)`)
    .option('-l, --selector <selector>', `only ${spec.plural} whose labels match this selector`)
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .option('--show-labels', 'add a LABELS column to the table')
    .option(
      '-L, --label-columns <keys>',
      'add a column for each of these label keys (comma-separated)',
      collectKeys,
      [],
    );
  if (spec.only) cmd.option(spec.only.flag, spec.only.description);
  return cmd
    .addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`)
    .action(async (names, flags, command) => {
      const output = parseOutputFormat(flags.output) ?? 'table';
      const labels = { keys: flags.labelColumns, showLabels: flags.showLabels === true };
      throwIfProblems(
        output !== 'table' && (labels.showLabels || labels.keys.length > 0)
          ? [`--show-labels and -L add table columns: leave them out with -o ${output}`]
          : [],
      );
      const ctx = CliContext.fromCommand(command);
      let objects = await getNamedOrSelected<T>(ctx.cluster(), spec.kind, ctx.namespace, names, flags.selector);
      const { only } = spec;
      if (only && command.getOptionValue(optionKey(only.flag)) === true) objects = objects.filter(only.keep);
      objects = spec.order(objects);
      process.stdout.write(
        output === 'table'
          ? formatGetTable(spec, objects, new Date(), labels)
          : formatObjects(objects, output, names.length !== 1),
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
