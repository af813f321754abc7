import { kubeTime } from '../util/clock.ts';
import type { Cluster } from './cluster.ts';
import type { KubeObject } from './object.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

export interface EventNote {
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. `CleanupFailed`. */
  reason: string;
  message: string;
}

/**
 * Records a core/v1 Event about `about` (shown by `kubectl describe` and `kubectl get events`).
 * It outlives the object, so it is where to say what a deletion left behind.
 */
export async function recordEvent(
  cluster: Cluster,
  about: KubeObject,
  note: EventNote,
  component: string,
  now: Date,
): Promise<void> {
  const namespace = about.metadata.namespace ?? 'default';
  const time = kubeTime(now);
  await cluster.create(EVENTS, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${about.metadata.name ?? 'object'}.`, namespace },
    involvedObject: {
      apiVersion: about.apiVersion,
      kind: about.kind,
      name: about.metadata.name,
      namespace,
      uid: about.metadata.uid,
      resourceVersion: about.metadata.resourceVersion,
    },
    type: note.type,
    reason: note.reason,
    // The API server refuses messages over 1 KiB.
    message: note.message.length > 1024 ? `${note.message.slice(0, 1021)}...` : note.message,
    source: { component },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  });
}
