/**
 * `skiff uninstall` (reference §8.2): removes what `skiff install` created: the server
 * Deployment first (so nothing acts while the rest goes), the cluster-wide RBAC, the
 * namespace with everything in it, then the CRDs. Object storage is never touched: the
 * backups stay in the bucket for the next install (or a Velero) to find.
 */
import { Command } from '@commander-js/extra-typings';
import { buildAllCrds } from '../../api/all-crds.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { Finalizers, Names } from '../../api/labels.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isNotFound } from '../../kube/errors.ts';
import { tenantInstallObjects, tenantInstallRef } from '../../tenant/install.ts';
import { VIEW_APISERVICE_NAME } from '../../tenant/view/api.ts';
import { authReaderBindingName } from '../../tenant/view/manifests.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import { CliContext } from '../context.ts';
import { CommandFailedError } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { veleroType } from '../resources.ts';
import { INSTALL_REFS } from './object-refs.ts';
import { clusterBindingName } from './rbac.ts';

export interface UninstallTarget {
  kind: string;
  ref: ResourceRef;
  name: string;
  namespace?: string;
  /** Cluster-scoped RBAC is deleted only when it carries install's label, never another owner's object of that name. */
  onlyIfLabelled?: boolean;
}

/** Everything uninstall deletes, in order. The namespace takes its Role, ServiceAccount, Secret and locations with it. */
export function uninstallTargets(namespace: string, opts: { keepCrds?: boolean }): UninstallTarget[] {
  const rbacName = clusterBindingName(namespace);
  const targets: UninstallTarget[] = [
    { kind: 'Deployment', ref: INSTALL_REFS.Deployment, name: Names.Deployment, namespace },
    { kind: 'ClusterRoleBinding', ref: INSTALL_REFS.ClusterRoleBinding, name: rbacName, onlyIfLabelled: true },
    { kind: 'ClusterRole', ref: INSTALL_REFS.ClusterRole, name: rbacName, onlyIfLabelled: true },
    // An APIService whose Service is gone would leave the cluster's discovery degraded.
    { kind: 'APIService', ref: INSTALL_REFS.APIService, name: VIEW_APISERVICE_NAME, onlyIfLabelled: true },
    {
      kind: 'RoleBinding',
      ref: INSTALL_REFS.RoleBinding,
      name: authReaderBindingName(namespace),
      namespace: 'kube-system',
      onlyIfLabelled: true,
    },
    { kind: 'Namespace', ref: INSTALL_REFS.Namespace, name: namespace },
  ];
  if (!opts.keepCrds) {
    // The tenant kinds' admission policies and roles go with their CRDs.
    for (const obj of tenantInstallObjects()) {
      targets.push({ kind: obj.kind, ref: tenantInstallRef(obj), name: obj.metadata.name ?? '', onlyIfLabelled: true });
    }
    for (const crd of buildAllCrds()) {
      targets.push({
        kind: 'CustomResourceDefinition',
        ref: INSTALL_REFS.CustomResourceDefinition,
        name: crd.metadata.name ?? '',
      });
    }
  }
  return targets;
}

const INSTALL_LABEL = { key: 'component', value: 'velero' };

async function deleteTarget(cluster: Cluster, t: UninstallTarget): Promise<string> {
  const what = `${t.kind}/${t.name}`;
  if (t.onlyIfLabelled) {
    const live = await cluster.find(t.ref, t.name, t.namespace);
    if (!live) return `${what}: not found`;
    if (live.metadata.labels?.[INSTALL_LABEL.key] !== INSTALL_LABEL.value) {
      return `${what}: left in place (not labelled ${INSTALL_LABEL.key}=${INSTALL_LABEL.value}, so not created by install)`;
    }
  }
  return (await cluster.delete(t.ref, t.name, t.namespace)) ? `${what}: deleted` : `${what}: not found`;
}

/**
 * With the server gone, nothing would remove the restore finalizer (reference §1.2), and
 * the namespace would hang in Terminating: drop it, as `velero uninstall` does.
 */
async function releaseRestores(cluster: Cluster, namespace: string): Promise<number> {
  const ref = resourceRef(Kinds.Restore);
  let released = 0;
  try {
    for await (const r of cluster.list(veleroType(Kinds.Restore), { namespace })) {
      const finalizers = r.metadata.finalizers ?? [];
      if (!finalizers.includes(Finalizers.RestoreExternalResources)) continue;
      await cluster.patch(ref, { name: r.metadata.name ?? '', namespace }, 'merge', {
        metadata: {
          finalizers: finalizers.filter((f) => f !== Finalizers.RestoreExternalResources),
          resourceVersion: r.metadata.resourceVersion,
        },
      });
      released++;
    }
  } catch (err) {
    // No Restore CRD (already uninstalled, or only partly installed): nothing to release.
    if (!isNotFound(err)) throw err;
  }
  return released;
}

async function waitUntilGone(cluster: Cluster, targets: readonly UninstallTarget[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const t of targets) {
    while (await cluster.find(t.ref, t.name, t.namespace)) {
      if (Date.now() > deadline) {
        throw new CommandFailedError(`${t.kind}/${t.name} is still there after ${timeoutMs / 1000}s`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export function uninstallCommand() {
  return new Command('uninstall')
    .description('Remove Skiff from a cluster: the server Deployment, RBAC, namespace and CRDs (the bucket is kept)')
    .option('--keep-crds', 'keep the CRDs (and so the velero.io objects of other namespaces)')
    .option('--wait', 'wait until everything is deleted')
    .option('--force', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  # Asks before deleting anything
  skiff uninstall

  # No prompt; wait until the namespace and CRDs are gone
  skiff uninstall -n skiff --force --wait

  # Another install in another namespace still uses the CRDs
  skiff uninstall -n skiff-staging --keep-crds --force`,
    )
    .action(async (flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const question = `You are about to uninstall Skiff from namespace ${ctx.namespace}${flags.keepCrds ? '' : ' and delete the velero.io CRDs with every object of theirs'}.`;
      if (!(await confirmed(question, flags.force, '--force'))) {
        console.log('Uninstall cancelled.');
        return;
      }
      const cluster = ctx.cluster();
      const targets = uninstallTargets(ctx.namespace, { keepCrds: flags.keepCrds ?? false });
      const [deployment, ...rest] = targets;
      if (deployment) console.log(await deleteTarget(cluster, deployment));
      const released = await releaseRestores(cluster, ctx.namespace);
      if (released > 0) console.log(`released the finalizer of ${released} restore(s)`);
      for (const t of rest) console.log(await deleteTarget(cluster, t));
      if (flags.wait) {
        console.log('Waiting for the namespace and CRDs to be deleted...');
        await waitUntilGone(cluster, targets, 10 * 60_000);
      }
      console.log(`Skiff is uninstalled from namespace ${ctx.namespace}; the backups stay in object storage.`);
    });
}
