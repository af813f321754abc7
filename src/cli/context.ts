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

/** `$HOME/.config/velero/config.json`, the file `velero client config set` writes; absent or broken means empty. */
export function readClientConfig(env: NodeJS.ProcessEnv = process.env): { namespace?: string } {
  const home = env.HOME ?? homedir();
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(home, '.config', 'velero', 'config.json'), 'utf8'));
    if (isRecord(parsed) && typeof parsed.namespace === 'string' && parsed.namespace !== '') {
      return { namespace: parsed.namespace };
    }
  } catch {
    // No client config is the common case.
  }
  return {};
}

/** What a verb needs from the global flags: the namespace, and a cluster opened on first use. */
export class CliContext {
  readonly namespace: string;
  private opened: Cluster | undefined;

  constructor(readonly flags: GlobalFlags) {
    this.namespace = resolveNamespace(flags.namespace);
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
