/** `--wait`: until the server Deployment reports Available (its pod is ready). */
import { Names } from '../../api/labels.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { CommandFailedError } from '../errors.ts';
import { INSTALL_REFS } from './object-refs.ts';

/** True when the Deployment's controller has seen its latest spec and says Available=True. */
export function deploymentAvailable(d: KubeObject | undefined): boolean {
  if (!d) return false;
  const status = isRecord(d.status) ? d.status : {};
  if (typeof status.observedGeneration === 'number' && status.observedGeneration < (d.metadata.generation ?? 0)) {
    return false;
  }
  const conditions = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  return conditions.some((c) => isRecord(c) && c.type === 'Available' && c.status === 'True');
}

export async function waitForServerAvailable(
  cluster: Cluster,
  namespace: string,
  timeoutMs = 10 * 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await cluster.find(INSTALL_REFS.Deployment, Names.Deployment, namespace);
    if (deploymentAvailable(d)) return;
    if (Date.now() > deadline) {
      throw new CommandFailedError(
        `Deployment ${namespace}/${Names.Deployment} is not available after ${timeoutMs / 1000}s: ` +
          `see kubectl -n ${namespace} describe deployment ${Names.Deployment} and its pods`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
