import { Kinds, resourceRef, type BackupStorageLocation } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { validateLocation } from '../storage/index.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from '../server/metrics.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';

export interface LocationControllerDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** `--store-validation-frequency`. */
  validationFrequency: string;
  /** Prometheus metrics (reference §10.3); absent in tests that do not look at them. */
  metrics?: ServerMetrics;
}

const TYPE = veleroListType(Kinds.BackupStorageLocation);

/** Validates each location (reference §5.5): reachable bucket, valid layout → Available, else Unavailable with why. */
export function locationController(deps: LocationControllerDeps): ControllerSpec {
  return {
    name: 'backup-storage-location',
    type: TYPE,
    namespace: deps.namespace,
    reconcile: (obj) => reconcile(deps, obj),
  };
}

async function reconcile(deps: LocationControllerDeps, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const bsl = obj as BackupStorageLocation;
  const every = parseDuration(bsl.spec.validationFrequency ?? deps.validationFrequency);
  const last = bsl.status?.lastValidationTime ? Date.parse(bsl.status.lastValidationTime) : 0;
  const now = deps.clock.now().getTime();
  // Our own status patch comes back as an event: only a due validation does work.
  if (last > 0 && every === 0) return undefined;
  if (last > 0 && now - last < every) return { requeueAfterMs: every - (now - last) };
  let phase: 'Available' | 'Unavailable' = 'Available';
  let message = '';
  try {
    await validateLocation(await deps.locations.store(bsl));
  } catch (err) {
    phase = 'Unavailable';
    message = errorMessage(err);
  }
  deps.metrics?.locationValidated(bsl.metadata.name ?? '', phase === 'Available');
  if (phase !== bsl.status?.phase)
    deps.log.info({ location: bsl.metadata.name, phase, message }, 'backup storage location validated');
  await deps.cluster.patchStatus(
    resourceRef(Kinds.BackupStorageLocation),
    { name: bsl.metadata.name ?? '', namespace: deps.namespace },
    {
      phase,
      message,
      lastValidationTime: kubeTime(deps.clock.now()),
    },
  );
  return every > 0 ? { requeueAfterMs: every } : undefined;
}
