export {
  applyRestorePlan,
  type ApplyRestoreDeps,
  type ApplyRestoreOutcome,
  type RestoreProgress,
} from './apply/apply-plan.ts';
export { ItemAction, RestoreResourceList } from './apply/resource-list.ts';
export type { RestoreTargetCluster } from './apply/target-cluster.ts';
export { defaultRestoreActions, RestoreActionRegistry } from './actions/registry.ts';
export { PvDecision, RestoreActionError, type RestoreActionEnv, type RestoreItemAction } from './actions/types.ts';
export { clusterLiveLookup, planRestoreForCluster, withRestorePlan, type RestorePlanDeps } from './plan-for-cluster.ts';
export { formatRestorePlan, formatRestorePlanStream, type FormatPlanOptions } from './plan/format-plan.ts';
export type { LiveLookup } from './plan/plan-item.ts';
export { collectPlan, planRestore, streamRestorePlan, type RestorePlanInput } from './plan/plan-restore.ts';
export { DEFAULT_RESTORE_PRIORITIES, parseRestorePriorities, type RestorePriorities } from './plan/priorities.ts';
export * from './plan/types.ts';
export { memoryCatalogue, type CatalogueEntry, type CatalogueIssue, type ItemCatalogue } from './read/catalogue.ts';
export { readBackupCatalogue, type ReadBackupOptions } from './read/read-backup.ts';
export { runRestore, type RestoreOutcome, type RestoreRunDeps } from './run-restore.ts';
