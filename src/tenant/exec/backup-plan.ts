import { isRecord } from '../../kube/object.ts';
import { errorMessage } from '../../util/errors.ts';
import { parseDuration } from '../../util/duration.ts';
import type { TenantPolicy } from './policy.ts';

/** What a TenantBackup asks for, with the namespace it lives in and that namespace's live UID. */
export interface TenantBackupRequest {
  namespace: string;
  namespaceUid: string;
  spec: Record<string, unknown>;
}

/** The velero.io Backup spec a TenantBackup becomes, or every reason it cannot. */
export type TenantBackupPlan = { errors: string[] } | { namespaces: string[]; veleroSpec: Record<string, unknown> };

/** Spec fields copied to the velero.io Backup as they are (after defaults). */
const PASSED_FIELDS = [
  'includedResources',
  'excludedResources',
  'labelSelector',
  'orLabelSelectors',
  'snapshotVolumes',
  'defaultVolumesToFsBackup',
  'snapshotMoveData',
  'hooks',
] as const;
/** Fields the planner reads itself. */
const OWN_FIELDS = ['requester', 'namespaces', 'ttl', 'storageLocation', 'includeClusterResources'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set([...PASSED_FIELDS, ...OWN_FIELDS]);

/** Velero's default TTL (reference §1.1), kept unless the policy's maxTTL is shorter. */
const DEFAULT_TTL = '720h';

/** Which spec field each forbidden feature concerns, and whether a value uses it. */
const FEATURES: Record<string, { field: string; uses: (v: unknown) => boolean }> = {
  hooks: { field: 'hooks', uses: (v) => isRecord(v) && Array.isArray(v.resources) && v.resources.length > 0 },
  clusterResources: { field: 'includeClusterResources', uses: (v) => v === true },
  fsBackup: { field: 'defaultVolumesToFsBackup', uses: (v) => v === true },
  snapshots: { field: 'snapshotVolumes', uses: (v) => v === true },
};

/**
 * Decides the velero.io Backup of a TenantBackup (pure): policy defaults fill absent fields,
 * locked fields must keep the default, forbidden features and cluster resources are refused,
 * the TTL is bounded by maxTTL, and only namespaces are backed up (never cluster resources).
 * The location is the derived tenant location `location` (under `tenants/<namespace UID>/`);
 * a `spec.storageLocation` (the tenant's own TenantStorageLocation) is checked and derived by
 * the controller (tenant-own-location.ts), which needs the cluster.
 */
export function planTenantBackup(req: TenantBackupRequest, policy: TenantPolicy, location: string): TenantBackupPlan {
  const errors: string[] = [];
  const spec: Record<string, unknown> = { ...policy.defaults, ...req.spec };
  for (const key of Object.keys(req.spec)) {
    if (!KNOWN_FIELDS.has(key)) errors.push(`spec.${key} is not a TenantBackup field this server acts on`);
  }
  for (const path of policy.locked) {
    const field = path.replace(/^spec\./, '');
    if (field in req.spec && JSON.stringify(req.spec[field]) !== JSON.stringify(policy.defaults[field])) {
      errors.push(`spec.${field} is locked by TenantPolicy ${policy.name}`);
    }
  }
  for (const feature of policy.forbidden) {
    const f = FEATURES[feature];
    if (!f) errors.push(`TenantPolicy ${policy.name} forbids "${feature}", which this server does not know`);
    else if (f.uses(spec[f.field]))
      errors.push(`spec.${f.field}: ${feature} is forbidden by TenantPolicy ${policy.name}`);
  }
  // Moving data starts from a CSI snapshot: a policy that forbids snapshots forbids it too.
  if (policy.forbidden.includes('snapshots') && spec.snapshotMoveData === true)
    errors.push(`spec.snapshotMoveData: snapshots is forbidden by TenantPolicy ${policy.name}`);
  if (spec.includeClusterResources === true) {
    errors.push('spec.includeClusterResources: tenant backups never include cluster-scoped resources');
  }
  const namespaces = namespacesOf(req, errors);
  const ttl = ttlOf(spec.ttl, policy, errors);
  if (errors.length > 0) return { errors };
  const veleroSpec: Record<string, unknown> = {
    includedNamespaces: namespaces,
    includeClusterResources: false,
    storageLocation: location,
    ttl,
  };
  for (const field of PASSED_FIELDS) if (spec[field] !== undefined) veleroSpec[field] = spec[field];
  if (policy.forbidden.includes('fsBackup')) veleroSpec.defaultVolumesToFsBackup = false;
  if (policy.forbidden.includes('snapshots')) veleroSpec.snapshotVolumes = false;
  return { namespaces, veleroSpec };
}

function namespacesOf(req: TenantBackupRequest, errors: string[]): string[] {
  const given = req.spec.namespaces;
  if (given === undefined) return [req.namespace];
  if (!Array.isArray(given) || given.length === 0 || given.some((n) => typeof n !== 'string' || n === '')) {
    errors.push('spec.namespaces must list namespace names');
    return [];
  }
  const names = given as string[];
  for (const n of names) if (/[*?]/.test(n)) errors.push(`spec.namespaces: "${n}": wildcards are not allowed`);
  return [...new Set(names)];
}

function ttlOf(value: unknown, policy: TenantPolicy, errors: string[]): string {
  let maxMs: number | undefined;
  if (policy.maxTTL !== undefined) {
    try {
      maxMs = parseDuration(policy.maxTTL, `TenantPolicy ${policy.name} maxTTL`);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  if (value === undefined) {
    return maxMs !== undefined && maxMs < parseDuration(DEFAULT_TTL) ? (policy.maxTTL ?? DEFAULT_TTL) : DEFAULT_TTL;
  }
  if (typeof value !== 'string') {
    errors.push('spec.ttl must be a duration such as 72h');
    return '';
  }
  try {
    const ms = parseDuration(value, 'spec.ttl');
    if (maxMs !== undefined && ms > maxMs) {
      errors.push(`spec.ttl ${value} is longer than TenantPolicy ${policy.name}'s maxTTL ${policy.maxTTL ?? ''}`);
    }
  } catch (err) {
    errors.push(errorMessage(err));
  }
  return value;
}
