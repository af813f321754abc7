/**
 * Client configuration shared by every command: which kubeconfig and context to use,
 * and which namespace the Skiff (Velero) server lives in (reference §8.1).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { Cluster } from '../kube/cluster.ts';
import { KubeClient } from '../kube/client.ts';
import { isRecord } from '../kube/object.ts';

export const DEFAULT_NAMESPACE = 'velero';

export interface GlobalFlags {
  kubeconfig?: string | undefined;
  kubecontext?: string | undefined;
  namespace?: string | undefined;
}

/**
 * Velero's precedence for the server namespace: the flag, then the client config file's
 * `namespace` key, then `VELERO_NAMESPACE`, then `velero` (reference §8.1).
 */
export function resolveNamespace(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: { namespace?: string } = readClientConfig(env),
): string {
  return flag || clientConfig.namespace || env.VELERO_NAMESPACE || DEFAULT_NAMESPACE;
}

/** The keys of Velero's client config file that Skiff reads (reference §8.1). */
export interface ClientConfig {
  namespace?: string;
  /** `cacert`: a CA bundle file, trusted when fetching a signed download URL. */
  cacert?: string;
  /** What the file asks for that Skiff does not do, one line each. */
  notes?: string[];
}

/** `$HOME/.config/velero/config.json`: the file `velero client config set` (and `skiff client config set`) writes. */
export function clientConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME ?? homedir(), '.config', 'velero', 'config.json');
}

/** The file's keys as written; absent or broken means empty. */
export function readClientConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // No client config is the common case.
    return {};
  }
  return isRecord(parsed) ? parsed : {};
}

/** What the client config file asks of Skiff; absent or broken means nothing. */
export function readClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const file = clientConfigFile(env);
  return parseClientConfig(readClientConfigFile(file), file);
}

/** Velero's client features whose effect Skiff always has: CSI snapshots are always described. */
export const ALWAYS_ON_FEATURES: ReadonlySet<string> = new Set(['EnableCSI']);

/** The client features in a comma-separated `features` value that Skiff does not have. */
export function unknownClientFeatures(value: string): string[] {
  return value
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '' && !ALWAYS_ON_FEATURES.has(f));
}

/** The file's keys (pure): `namespace` and `cacert` are used; what else it asks for is noted. */
export function parseClientConfig(raw: Record<string, unknown>, file: string): ClientConfig {
  const text = (k: string): string => (typeof raw[k] === 'string' ? raw[k] : '');
  const notes: string[] = [];
  const features = unknownClientFeatures(text('features'));
  if (features.length > 0) {
    notes.push(`${file}: features ${features.join(', ')}: skiff has no such client feature; remove them`);
  }
  // Skiff prints no colours, so only asking for them goes unmet.
  if (text('colorized') === 'true') notes.push(`${file}: colorized "true": skiff prints no colours; remove the key`);
  return {
    ...(text('namespace') !== '' ? { namespace: text('namespace') } : {}),
    ...(text('cacert') !== '' ? { cacert: text('cacert') } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** What a verb needs from the global flags: the namespace, and a cluster opened on first use. */
export class CliContext {
  readonly namespace: string;
  private opened: Cluster | undefined;

  constructor(readonly flags: GlobalFlags) {
    const config = readClientConfig();
    this.namespace = resolveNamespace(flags.namespace, process.env, config);
    for (const note of config.notes ?? []) process.stderr.write(`warning: ${note}\n`);
  }

  /** Reads the global flags wherever they were given (before or after the subcommand). */
  static fromCommand(cmd: CommandUnknownOpts): CliContext {
    const all = cmd.optsWithGlobals() as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    return new CliContext({
      kubeconfig: str(all.kubeconfig),
      kubecontext: str(all.kubecontext),
      namespace: str(all.namespace),
    });
  }

  cluster(): Cluster {
    this.opened ??= new Cluster(
      KubeClient.fromKubeconfig({ kubeconfig: this.flags.kubeconfig, context: this.flags.kubecontext }),
    );
    return this.opened;
  }
}
