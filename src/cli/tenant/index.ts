/**
 * `skiff tenant ...`: self-service for users with rights only in their own namespaces (issue
 * 17). Everything goes through the tenant.skiff.dev kinds in the user's namespaces; nothing here
 * reads velero.io or the server namespace, except the admin's `adopt`.
 */
import { Command } from '@commander-js/extra-typings';
import { tenantAdoptCommand } from './adopt.ts';
import { tenantBackupCommand } from './backup.ts';
import { tenantGrantCommand } from './grant.ts';
import { addTenantViewCommands } from './logs.ts';
import { tenantRestoreCommand } from './restore.ts';
import { tenantScheduleCommand } from './schedule.ts';

export function tenantCommand() {
  const backup = tenantBackupCommand();
  const restore = tenantRestoreCommand();
  // `logs` reads through the API server's aggregated view.skiff.dev API, never the bucket.
  addTenantViewCommands(backup, restore);
  const tenant = new Command('tenant')
    .description('Back up and restore your own namespaces, with only namespace RBAC (tenant.skiff.dev)')
    .addCommand(backup)
    .addCommand(restore)
    .addCommand(tenantScheduleCommand())
    .addCommand(tenantGrantCommand())
    .addCommand(tenantAdoptCommand());
  return tenant.addHelpText(
    'after',
    `
-n/--namespace is the tenant namespace here (default: the kubeconfig context's namespace, else
default), not the server's. spec.requester is filled in from a SelfSubjectReview, and a refusal
names the permission you lack.

Examples:
  skiff tenant backup create before-upgrade -n team-a --wait
  skiff tenant backup get -n team-a
  skiff tenant backup logs before-upgrade -n team-a
  skiff tenant restore create undo -n team-a --from-backup before-upgrade --wait
  skiff tenant grant create to-staging -n team-a --backups before-upgrade --to team-c --for 24h
  skiff tenant schedule create nightly -n team-a --schedule "0 1 * * *" --ttl 168h`,
  );
}
