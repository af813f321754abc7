/**
 * `skiff tenant adopt` (admins): gives a recreated namespace the tenant backups its earlier
 * incarnation (another namespace UID) made. It approves each old velero.io Backup for one new
 * TenantBackup and creates that TenantBackup; the server copies and re-seals the backup under
 * the new UID (src/tenant/exec/adoption.ts). Tenants cannot do this: it writes velero.io.
 */
import { Command } from '@commander-js/extra-typings';
import { Kinds, type Backup } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import { TenantKinds, tenantResource } from '../../tenant/api/kinds.ts';
import { TENANT_API_VERSION, type Requester } from '../../tenant/api/types.ts';
import { AdoptionAnnotations, adoptionApproval } from '../../tenant/exec/adoption.ts';
import { NAMESPACES } from '../../tenant/exec/namespaces.ts';
import { TenantLabels } from '../../tenant/exec/resources.ts';
import { resolveNamespace } from '../context.ts';
import { CommandFailedError, FlagError } from '../errors.ts';
import { formatTable } from '../output.ts';
import { listVelero, veleroType } from '../resources.ts';
import { BACKUP_NOUN } from './backup.ts';
import { waitForTenantOperation } from './resource-commands.ts';
import { TenantContext } from './tenant-context.ts';

const FINISHED = new Set(['Completed', 'PartiallyFailed']);

export function tenantAdoptCommand() {
  return new Command('adopt')
    .description(
      "Admins: give a recreated namespace (-n) the tenant backups of its earlier incarnation, by that namespace's UID",
    )
    .option('--from-uid <uid>', 'UID of the earlier namespace; without it, the UIDs with backups are listed')
    .option('--server-namespace <namespace>', 'namespace of the Skiff server (default: $VELERO_NAMESPACE or velero)')
    .option('-w, --wait', 'wait until the server has copied and re-sealed each backup')
    .addHelpText(
      'after',
      `
A namespace deleted and recreated under the same name gets a new UID; its old backups stay under
tenants/<old UID>/ and are invisible to it. For each old backup this approves the adoption on
the velero.io Backup (annotation ${AdoptionAnnotations.adoptInto}) and creates a TenantBackup of the
same name in the namespace; the server checks the old seal, copies the backup under
tenants/<new UID>/ and seals it for the new UID. File-system backups (kopia, restic) and
data-mover uploads (snapshotMoveData) come with their data: the old repository is copied under
tenants/<new UID>/ too; when the new namespace already has a repository of its own (it made
file-system or data-mover backups before the adoption), the backup's snapshots are copied into it
(restic copy, kopia snapshot migrate) under new IDs, which the copy's PodVolumeBackup records,
DataUploads and volume info name; the old repository is left as it was. CSI snapshots are handed
over: the adopted backup owns them (its deletion deletes them) and the old backup no longer does
(its deletion or expiry leaves them); so are native snapshot records (Skiff cannot delete native
snapshots: a deletion names them in a Warning event). Backups with other item operations are
refused, naming them. Needs velero.io and namespace rights (an admin).

Examples:
  # Which earlier namespaces named team-a left backups?
  skiff tenant adopt -n team-a

  # Adopt them
  skiff tenant adopt -n team-a --from-uid 5b0c7f7e-1c1d-4c56-9d8e-2f0a4b9d6e21 --wait`,
    )
    .action(async (flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const cluster = ctx.cluster();
      const namespace = ctx.namespace;
      const server = flags.serverNamespace ?? resolveNamespace(undefined);
      const ns = await cluster.find(NAMESPACES, namespace);
      const uid = ns?.metadata.uid;
      if (!uid)
        throw new FlagError([`namespace ${namespace} does not exist: create it before adopting backups into it`]);
      if (!flags.fromUid) return listEarlier(cluster, server, namespace, uid);
      if (flags.fromUid === uid) throw new FlagError([`--from-uid: ${uid} is the live namespace's own UID`]);
      const old = await listVelero<Backup>(
        cluster,
        Kinds.Backup,
        server,
        `${TenantLabels.namespaceUid}=${flags.fromUid}`,
      );
      if (old.length === 0) {
        throw new FlagError([
          `--from-uid: no tenant backups of namespace UID ${flags.fromUid} in server namespace ${server}`,
        ]);
      }
      const requester = await ctx.requester();
      const created: string[] = [];
      const problems: string[] = [];
      for (const b of old) {
        const outcome = await adoptOne(cluster, b, { server, namespace, uid, fromUid: flags.fromUid, requester });
        if (outcome.problem) problems.push(outcome.problem);
        if (outcome.created) created.push(outcome.created);
      }
      if (flags.wait) {
        for (const name of created) {
          // One backup that fails its seal check does not stop the others being waited for.
          await waitForTenantOperation(ctx, BACKUP_NOUN, name).catch((err: unknown) => {
            if (!(err instanceof CommandFailedError)) throw err;
            problems.push(err.message);
          });
        }
      }
      if (problems.length > 0) throw new CommandFailedError(problems.join('\n'));
    });
}

/** The earlier UIDs of namespace `namespace` that left backups not yet adopted, as a table. */
async function listEarlier(cluster: Cluster, server: string, namespace: string, uid: string): Promise<void> {
  const earlier = await listVelero<Backup>(cluster, Kinds.Backup, server, `${TenantLabels.namespace}=${namespace}`);
  const counts = new Map<string, number>();
  for (const b of earlier) {
    const from = b.metadata.labels?.[TenantLabels.namespaceUid] ?? '';
    if (from !== uid && !b.metadata.annotations?.[AdoptionAnnotations.adoptedAs])
      counts.set(from, (counts.get(from) ?? 0) + 1);
  }
  if (counts.size === 0) {
    console.log(`No backups of an earlier namespace named ${namespace} wait for adoption.`);
    return;
  }
  process.stdout.write(
    formatTable(
      ['EARLIER UID', 'BACKUPS'],
      [...counts].map(([u, n]) => [u, String(n)]),
    ),
  );
  throw new FlagError([`rerun with --from-uid UID to adopt one namespace's backups into ${namespace} (UID ${uid})`]);
}

/** Approves one old Backup for a TenantBackup of the same name, and creates that TenantBackup. */
async function adoptOne(
  cluster: Cluster,
  b: Backup,
  to: { server: string; namespace: string; uid: string; fromUid: string; requester: Requester },
): Promise<{ created?: string; problem?: string }> {
  const from = b.metadata.name ?? '';
  const name = b.metadata.labels?.[TenantLabels.name] || from;
  if (b.metadata.annotations?.[AdoptionAnnotations.adoptedAs]) {
    console.log(`Backup ${from} (${name}) was adopted already.`);
    return {};
  }
  if (!FINISHED.has(b.status?.phase ?? '')) {
    return { problem: `backup ${from} (${name}) did not finish (phase ${b.status?.phase ?? 'New'}): not adopted` };
  }
  await cluster.patch(veleroType(Kinds.Backup), { name: from, namespace: to.server }, 'merge', {
    metadata: { annotations: { [AdoptionAnnotations.adoptInto]: adoptionApproval(to.namespace, to.uid, name) } },
  });
  try {
    await cluster.create(tenantResource(TenantKinds.TenantBackup), {
      apiVersion: TENANT_API_VERSION,
      kind: 'TenantBackup',
      metadata: { name, namespace: to.namespace, annotations: { [AdoptionAnnotations.adoptedFrom]: from } },
      spec: { requester: to.requester },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return { problem: `TenantBackup ${name} already exists in ${to.namespace}: delete or rename it, then rerun` };
  }
  console.log(`TenantBackup ${to.namespace}/${name} adopts backup ${from} of namespace UID ${to.fromUid}.`);
  return { created: name };
}
