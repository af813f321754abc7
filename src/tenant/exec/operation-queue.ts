/**
 * One pass of the tenant fair queue (fair-queue.ts) over every namespace's TenantBackups and
 * TenantRestores together: both kinds share the server's tenant slots and each namespace's
 * TenantPolicy limits (maxConcurrent, maxQueued), and a queue position counts both.
 *
 * A TenantBackup holds a slot from the moment its velero.io Backup exists until it has finished;
 * a TenantRestore from the moment the queue picks it (status.startTimestamp) until it has
 * finished. Two backups sharing a namespace never hold slots together: the server's backup queue
 * would run them one after the other anyway, so the second waits here, saying so.
 */
import type { Cluster } from '../../kube/cluster.ts';
import { isNotFound } from '../../kube/errors.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { kubeTime } from '../../util/clock.ts';
import { startQueuedBackup, type TenantControllerDeps } from './backup-controller.ts';
import {
  decideFairQueue,
  type NamespaceLimits,
  type QueuedOperation,
  type RunningOperation,
  type WaitReason,
} from './fair-queue.ts';
import { liveNamespace } from './namespaces.ts';
import { policyForNamespace, readPolicy } from './policy.ts';
import { phaseOf, specOf, TenantPhase, TenantTypes, TERMINAL_PHASES } from './resources.ts';

type OperationType = ResourceType;
const KINDS: readonly OperationType[] = [TenantTypes.TenantBackup, TenantTypes.TenantRestore];

/** An operation in the queue: its name in the queue is `<Kind>/<name>`, unique in the namespace. */
interface Listed {
  type: OperationType;
  obj: KubeObject;
  op: QueuedOperation;
}

interface Listing {
  running: RunningOperation[];
  waiting: QueuedOperation[];
  listed: Map<string, Listed>;
  lastStarted: Map<string, string>;
}

export async function runTenantQueue(deps: TenantControllerDeps): Promise<void> {
  const { running, waiting, listed, lastStarted } = await listOperations(deps.cluster);
  if (waiting.length === 0) return;
  const limits = await namespaceLimits(deps.cluster, new Set(waiting.map((w) => w.namespace)));
  const decision = decideFairQueue({
    running,
    waiting,
    lastStarted,
    slots: Math.max(1, deps.slots ?? 1),
    limits: (namespace) => limits.get(namespace) ?? {},
  });
  const entries = <T extends QueuedOperation>(ops: T[]): [T, Listed][] =>
    ops.flatMap((op): [T, Listed][] => {
      const entry = listed.get(key(op));
      return entry ? [[op, entry]] : [];
    });
  for (const [op, entry] of entries(decision.start)) {
    const name = entry.obj.metadata.name ?? '';
    if (entry.type === TenantTypes.TenantBackup) await startQueuedBackup(deps, name, op.namespace);
    else await unlessGone(pickRestore(deps, entry.obj));
  }
  for (const [op, entry] of entries(decision.wait)) {
    const waitingReason = describeWait(op.reason, limits.get(op.namespace)?.policy ?? '');
    const status = isRecord(entry.obj.status) ? entry.obj.status : {};
    if (status.queuePosition === op.position && status.waitingReason === waitingReason) continue;
    await unlessGone(patchOperation(deps, entry, { queuePosition: op.position, waitingReason }));
  }
  for (const [op, entry] of entries(decision.reject)) {
    const policy = limits.get(op.namespace)?.policy ?? '';
    const reason = `namespace ${op.namespace} already has ${op.maxQueued} tenant operations waiting, the maxQueued of TenantPolicy ${policy}; create it again once they have run`;
    deps.log.info({ namespace: op.namespace, operation: op.name, reason }, 'tenant operation refused');
    await unlessGone(
      patchOperation(deps, entry, {
        phase: TenantPhase.Failed,
        failureReason: reason,
        queuePosition: null,
        waitingReason: null,
        completionTimestamp: kubeTime(deps.clock.now()),
      }),
    );
  }
}

function patchOperation(deps: TenantControllerDeps, entry: Listed, status: Record<string, unknown>): Promise<unknown> {
  const { name, namespace } = entry.obj.metadata;
  return deps.cluster.patchStatus(entry.type, { name: name ?? '', namespace }, status);
}

/** Every TenantBackup and TenantRestore, sorted into running and waiting. */
async function listOperations(cluster: Cluster): Promise<Listing> {
  const out: Listing = { running: [], waiting: [], listed: new Map(), lastStarted: new Map() };
  for (const type of KINDS) {
    for await (const obj of cluster.list(type)) {
      const phase = phaseOf(obj);
      const namespace = obj.metadata.namespace ?? '';
      const op: QueuedOperation = {
        namespace,
        name: `${type.kind}/${obj.metadata.name ?? ''}`,
        created: obj.metadata.creationTimestamp ?? '',
        ...(type === TenantTypes.TenantBackup ? { exclusive: backedUpNamespaces(obj) } : {}),
      };
      const started = startedAt(type, obj);
      if (started !== undefined && started > (out.lastStarted.get(namespace) ?? '')) {
        out.lastStarted.set(namespace, started);
      }
      if (TERMINAL_PHASES.has(phase)) continue;
      if (started !== undefined) out.running.push(op);
      else if (phase === TenantPhase.Queued && !obj.metadata.deletionTimestamp) {
        out.waiting.push(op);
        out.listed.set(key(op), { type, obj, op });
      }
    }
  }
  return out;
}

/**
 * Why a Queued operation waits, as its own tenant may read it: about its namespace and its
 * policy, never about another tenant's operations.
 */
export function describeWait(reason: WaitReason, policy: string): string {
  switch (reason.kind) {
    case 'slots':
      return 'every slot of the server for tenant operations is busy; it starts at the next free one, in turn with other namespaces';
    case 'maxConcurrent':
      return `${reason.maxConcurrent} operations of this namespace are running, the maxConcurrent of TenantPolicy ${policy}`;
    case 'exclusive':
      return `another backup of namespace ${reason.namespace} is running: the server runs backups that share a namespace one at a time, whatever maxConcurrent allows`;
    case 'behind':
      return 'earlier operations of this namespace are waiting before it';
  }
}

/** The restore the queue picked: it holds a slot from now; its controller runs it. */
function pickRestore(deps: TenantControllerDeps, tr: KubeObject): Promise<KubeObject> {
  return deps.cluster.patchStatus(
    TenantTypes.TenantRestore,
    { name: tr.metadata.name ?? '', namespace: tr.metadata.namespace },
    { startTimestamp: kubeTime(deps.clock.now()), queuePosition: null, waitingReason: null },
  );
}

const key = (op: { namespace: string; name: string }): string => `${op.namespace}/${op.name}`;

/** The namespaces a TenantBackup backs up (its own unless it names others). */
function backedUpNamespaces(tb: KubeObject): string[] {
  const given = specOf(tb).namespaces;
  const names = Array.isArray(given) ? given.filter((n): n is string => typeof n === 'string' && n !== '') : [];
  return names.length > 0 ? names : [tb.metadata.namespace ?? ''];
}

/**
 * When an operation left the queue (RFC 3339), or undefined while it waits: a TenantBackup once
 * its velero.io Backup is named, a TenantRestore once picked.
 */
function startedAt(type: OperationType, obj: KubeObject): string | undefined {
  const status = isRecord(obj.status) ? obj.status : {};
  const at = typeof status.startTimestamp === 'string' ? status.startTimestamp : undefined;
  if (type === TenantTypes.TenantRestore) return at;
  const backupName = typeof status.backupName === 'string' && status.backupName !== '';
  return backupName ? (at ?? obj.metadata.creationTimestamp ?? '') : undefined;
}

/** An operation deleted since the queue was listed needs nothing any more. */
async function unlessGone(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** maxConcurrent and maxQueued of each namespace's TenantPolicy, with the policy's name. */
async function namespaceLimits(
  cluster: Cluster,
  namespaces: ReadonlySet<string>,
): Promise<Map<string, NamespaceLimits & { policy?: string }>> {
  const limits = new Map<string, NamespaceLimits & { policy?: string }>();
  const policies = [];
  for await (const p of cluster.list(TenantTypes.TenantPolicy)) policies.push(readPolicy(p));
  for (const namespace of namespaces) {
    const ns = await liveNamespace(cluster, namespace);
    const policy = policyForNamespace(policies, namespace, ns?.metadata.labels);
    // Without a policy the operation fails at its start; it waits like any other until then.
    if (typeof policy === 'string') continue;
    limits.set(namespace, {
      ...(policy.maxConcurrent !== undefined ? { maxConcurrent: policy.maxConcurrent } : {}),
      ...(policy.maxQueued !== undefined ? { maxQueued: policy.maxQueued } : {}),
      policy: policy.name,
    });
  }
  return limits;
}
