import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import { namespacePolicy, type TenantControllerDeps } from './backup-controller.ts';
import { liveNamespace } from './namespaces.ts';
import {
  phaseOf,
  requesterOf,
  specOf,
  TENANT_GROUP,
  TENANT_VERSION,
  TenantLabels,
  TenantTypes,
  TERMINAL_PHASES,
} from './resources.ts';
import { decideTenantSchedule, type TenantScheduleDecision } from './schedule-plan.ts';

const SCHEDULES = TenantTypes.TenantSchedule;
const TENANT_BACKUPS = TenantTypes.TenantBackup;

/**
 * TenantSchedule (issue 17): creates TenantBackups from its template in its own namespace on a
 * cron schedule (`schedule-plan.ts`). Each backup is created *as the schedule's requester*
 * (impersonation), so the API server checks it exactly as if they had created it: RBAC, the
 * requester admission policy, the TenantPolicy's rules, ResourceQuota. The backups then go
 * through the fair queue like any other. Status: phase, lastBackup, nextRun.
 */
export function tenantScheduleController(deps: TenantControllerDeps): ControllerSpec {
  return {
    name: 'tenant-schedule',
    type: SCHEDULES,
    namespace: '',
    reconcile: (obj) => reconcileTenantSchedule(deps, obj),
  };
}

async function reconcileTenantSchedule(
  deps: TenantControllerDeps,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const ts = await deps.cluster.find(SCHEDULES, seen.metadata.name ?? '', seen.metadata.namespace);
  if (!ts || ts.metadata.deletionTimestamp) return undefined;
  const name = ts.metadata.name ?? '';
  const namespace = ts.metadata.namespace ?? '';
  const requester = requesterOf(ts);
  if (!requester) return invalid(deps, ts, ['spec.requester is missing: create TenantSchedules with skiff tenant']);
  const ns = await liveNamespace(deps.cluster, namespace);
  if (!ns?.metadata.uid || ns.metadata.deletionTimestamp) return undefined;
  const policy = await namespacePolicy(deps.cluster, namespace, ns.metadata.labels);
  if (typeof policy === 'string') return invalid(deps, ts, [policy]);
  if (policy.problems.length > 0) return invalid(deps, ts, policy.problems);
  const status = isRecord(ts.status) ? ts.status : {};
  const decision = decideTenantSchedule({
    name,
    namespace,
    namespaceUid: ns.metadata.uid,
    created: ts.metadata.creationTimestamp,
    spec: specOf(ts),
    lastBackup: typeof status.lastBackup === 'string' ? status.lastBackup : undefined,
    policy,
    unfinished: await unfinishedBackups(deps, namespace, name),
    now: deps.clock.now(),
  });
  return carryOut(deps, ts, requester, decision);
}

async function carryOut(
  deps: TenantControllerDeps,
  ts: KubeObject,
  requester: UserIdentity,
  decision: TenantScheduleDecision,
): Promise<ReconcileResult | undefined> {
  switch (decision.kind) {
    case 'invalid':
      return invalid(deps, ts, decision.errors);
    case 'paused':
      await patchStatus(deps, ts, { phase: 'Enabled', validationErrors: null, nextRun: null });
      return undefined;
    case 'wait':
    case 'skip-running':
      await patchStatus(deps, ts, { phase: 'Enabled', validationErrors: null, nextRun: kubeTime(decision.next) });
      return { requeueAfterMs: decision.requeueAfterMs };
    case 'create': {
      const refused = await createBackup(deps, ts, requester, decision.backupName, decision.template);
      const now = kubeTime(deps.clock.now());
      await patchStatus(deps, ts, {
        phase: 'Enabled',
        validationErrors: null,
        ...(refused ? {} : { lastBackup: now }),
        nextRun: decision.next ? kubeTime(decision.next) : null,
        conditions: [
          refused
            ? { type: 'BackupCreated', status: 'False', reason: 'Refused', message: refused, lastTransitionTime: now }
            : {
                type: 'BackupCreated',
                status: 'True',
                reason: 'Created',
                message: `created TenantBackup ${decision.backupName}`,
                lastTransitionTime: now,
              },
        ],
      });
      return { requeueAfterMs: decision.requeueAfterMs };
    }
  }
}

/**
 * Creates the run's TenantBackup as the requester; returns why the API server refused it (the
 * requester lost the right to create tenantbackups, a quota is full, ...), or undefined.
 */
async function createBackup(
  deps: TenantControllerDeps,
  ts: KubeObject,
  requester: UserIdentity,
  name: string,
  template: Record<string, unknown>,
): Promise<string | undefined> {
  const namespace = ts.metadata.namespace ?? '';
  const spec = isRecord(ts.spec) && isRecord(ts.spec.requester) ? ts.spec.requester : {};
  try {
    await deps.cluster.impersonating(requester).create(TENANT_BACKUPS, {
      apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`,
      kind: 'TenantBackup',
      metadata: { name, namespace, labels: { [TenantLabels.schedule]: ts.metadata.name ?? '' } },
      // The requester exactly as recorded on the schedule (admission compares it with the user).
      spec: { ...template, requester: spec },
    });
    deps.log.info({ namespace, tenantSchedule: ts.metadata.name, tenantBackup: name }, 'tenant schedule ran');
    return undefined;
  } catch (err) {
    // Created by an earlier pass that stopped before its status patch.
    if (isAlreadyExists(err)) return undefined;
    const reason = `creating TenantBackup ${name} as ${requester.username} was refused: ${errorMessage(err)}`;
    deps.log.info({ namespace, tenantSchedule: ts.metadata.name, reason }, 'tenant schedule run refused');
    return reason;
  }
}

async function unfinishedBackups(deps: TenantControllerDeps, namespace: string, schedule: string): Promise<string[]> {
  const names: string[] = [];
  const labelSelector = `${TenantLabels.schedule}=${schedule}`;
  for await (const tb of deps.cluster.list(TENANT_BACKUPS, { namespace, labelSelector })) {
    if (!TERMINAL_PHASES.has(phaseOf(tb))) names.push(tb.metadata.name ?? '');
  }
  return names;
}

async function invalid(deps: TenantControllerDeps, ts: KubeObject, errors: string[]): Promise<undefined> {
  deps.log.info(
    { namespace: ts.metadata.namespace, tenantSchedule: ts.metadata.name, errors },
    'tenant schedule failed validation',
  );
  await patchStatus(deps, ts, { phase: 'FailedValidation', validationErrors: errors, nextRun: null });
  return undefined;
}

function patchStatus(deps: TenantControllerDeps, ts: KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patchStatus(
    SCHEDULES,
    { name: ts.metadata.name ?? '', namespace: ts.metadata.namespace },
    status,
  );
}
