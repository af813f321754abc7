/**
 * `skiff client config get|set` (reference §8.1): Velero's client config file, so a Velero user's
 * `velero client config set namespace=backups` works with `skiff` too. Only what Skiff acts on
 * can be set: a key or value it would not honour is refused, naming it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { ALWAYS_ON_FEATURES, clientConfigFile, readClientConfigFile, unknownClientFeatures } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { isFile } from '../../util/is-file.ts';

const KEYS = ['namespace', 'features', 'cacert', 'colorized'] as const;

/** Why `key=value` cannot be set, or undefined when Skiff acts on it. An empty value unsets the key. */
export function clientConfigProblem(key: string, value: string): string | undefined {
  if (!(KEYS as readonly string[]).includes(key)) return `unknown key "${key}": the keys are ${KEYS.join(', ')}`;
  if (value === '') return undefined;
  switch (key) {
    case 'features': {
      const unknown = unknownClientFeatures(value);
      return unknown.length > 0
        ? `features: skiff has no client feature ${unknown.join(', ')} (${[...ALWAYS_ON_FEATURES].join(', ')} is always on)`
        : undefined;
    }
    case 'colorized':
      if (value === 'true') return 'colorized=true: skiff prints no colours';
      return value === 'false' ? undefined : `colorized: "${value}" is not true or false`;
    case 'cacert':
      return isFile(value) ? undefined : `cacert: no file at ${value}`;
    default:
      return undefined;
  }
}

/** The file's keys after `pairs` (KEY=VALUE; an empty value removes the key), or every problem found. */
export function applyClientConfigPairs(
  current: Record<string, unknown>,
  pairs: readonly string[],
): { config: Record<string, unknown>; problems: string[] } {
  const config = { ...current };
  const problems: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${pair}" is not KEY=VALUE (e.g. namespace=backups)`);
      continue;
    }
    const key = pair.slice(0, eq).trim().toLowerCase();
    const value = pair.slice(eq + 1).trim();
    const problem = clientConfigProblem(key, value);
    if (problem) problems.push(problem);
    else if (value === '') delete config[key];
    else config[key] = value;
  }
  return { config, problems };
}

/** `key: value` lines: every key of the file, or the ones asked for (`<NOT SET>` when absent). */
export function formatClientConfig(config: Record<string, unknown>, keys: readonly string[]): string {
  const shown = keys.length > 0 ? keys : Object.keys(config).sort();
  return shown.map((k) => `${k}: ${k in config ? String(config[k]) : '<NOT SET>'}\n`).join('');
}

export function clientCommand() {
  const config = new Command('config').description(`Get and set the client config file (${KEYS.join(', ')})`);
  config
    .command('get')
    .description('Print the client config file, or the keys given')
    .argument('[keys...]', 'keys to print (default: all)')
    .addHelpText(
      'after',
      `
Examples:
  skiff client config get
  skiff client config get namespace`,
    )
    .action((keys) => {
      process.stdout.write(formatClientConfig(readClientConfigFile(clientConfigFile()), keys));
    });
  config
    .command('set')
    .description('Set keys of the client config file (KEY=VALUE; KEY= removes the key)')
    .argument('<pairs...>', 'KEY=VALUE pairs')
    .addHelpText(
      'after',
      `
The file is $HOME/.config/velero/config.json, the one Velero's CLI reads too.
  namespace   the server namespace when -n is not given (before $VELERO_NAMESPACE)
  cacert      a CA bundle trusted when downloading from the bucket (logs, download)
  features    client features: EnableCSI (always on in Skiff)
  colorized   false (Skiff prints no colours)

Examples:
  skiff client config set namespace=backups
  skiff client config set cacert=/etc/ssl/minio-ca.pem
  skiff client config set namespace=`,
    )
    .action((pairs) => {
      const file = clientConfigFile();
      const { config: next, problems } = applyClientConfigPairs(readClientConfigFile(file), pairs);
      throwIfProblems(problems);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    });
  return new Command('client').description('Work with the client configuration').addCommand(config);
}
