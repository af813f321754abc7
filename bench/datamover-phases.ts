/**
 * The phases of one moved-data backup, as the cluster shows them (bench:datamover): watches the Backup, the
 * VolumeSnapshots, the DataUpload and the mover's claim and pod, and notes when each step is first seen, so
 * the bench prints where the time went (snapshot, clone, claim, mover pod, kopia upload, clean-up).
 */
import { Kinds, resourceRef } from '../src/api/index.ts';
import type { Cluster, KubeObject, ResourceRef } from '../src/kube/index.ts';
import { VOLUME_SNAPSHOTS } from '../src/volumes/csi/snapshot-objects.ts';
import { PODS, PVCS } from '../src/volumes/data-mover/mover-pod.ts';

type Status = {
  phase?: string;
  readyToUse?: boolean;
  path?: string;
  progress?: { bytesDone?: number };
};

/** Milestones in the order they happen. */
const MILESTONES = [
  'source VolumeSnapshot created',
  'source VolumeSnapshot ready',
  'DataUpload created',
  'DataUpload Accepted',
  'clone VolumeSnapshot created',
  'clone VolumeSnapshot ready',
  'mover claim created',
  'mover claim Bound',
  'mover pod scheduled',
  'DataUpload Prepared',
  'DataUpload InProgress',
  'kopia upload started',
  'mover pod deleted',
  'mover claim deleted',
  'DataUpload Completed',
  'Backup Completed',
] as const;
type Milestone = (typeof MILESTONES)[number];

export class PhaseTracer {
  private readonly seen = new Map<Milestone, number>();
  private readonly abort = new AbortController();
  private readonly runs: Promise<void>[] = [];
  private start = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly serverNamespace: string,
    private readonly sourceNamespace: string,
  ) {}

  /** Starts watching; `begin` marks time zero (the Backup's creation). */
  run(): void {
    const dus = resourceRef(Kinds.DataUpload);
    const backups = resourceRef(Kinds.Backup);
    this.watch(VOLUME_SNAPSHOTS, this.sourceNamespace, (type, o) => {
      const s = o.status as Status | undefined;
      if (type === 'ADDED') this.mark('source VolumeSnapshot created');
      if (s?.readyToUse) this.mark('source VolumeSnapshot ready');
    });
    this.watch(VOLUME_SNAPSHOTS, this.serverNamespace, (type, o) => {
      if (type === 'ADDED') this.mark('clone VolumeSnapshot created');
      if ((o.status as Status | undefined)?.readyToUse) this.mark('clone VolumeSnapshot ready');
    });
    this.watch(dus, this.serverNamespace, (type, o) => {
      const s = o.status as Status | undefined;
      if (type === 'ADDED') this.mark('DataUpload created');
      if (s?.phase === 'Accepted') this.mark('DataUpload Accepted');
      if (s?.phase === 'Prepared') this.mark('DataUpload Prepared');
      if (s?.phase === 'InProgress') this.mark('DataUpload InProgress');
      if (s?.phase === 'InProgress' && s.path) this.mark('kopia upload started');
      if (s?.phase === 'Completed') this.mark('DataUpload Completed');
    });
    this.watch(PODS, this.serverNamespace, (type, o) => {
      if ((o.spec as { nodeName?: string } | undefined)?.nodeName) this.mark('mover pod scheduled');
      if (type === 'DELETED') this.mark('mover pod deleted');
    });
    this.watch(PVCS, this.serverNamespace, (type, o) => {
      if (type === 'ADDED') this.mark('mover claim created');
      if ((o.status as Status | undefined)?.phase === 'Bound') this.mark('mover claim Bound');
      if (type === 'DELETED') this.mark('mover claim deleted');
    });
    this.watch(backups, this.serverNamespace, (_t, o) => {
      if ((o.status as Status | undefined)?.phase === 'Completed') this.mark('Backup Completed');
    });
  }

  begin(): void {
    this.start = performance.now();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.runs);
  }

  /** One line per milestone: seconds since the backup's creation and since the previous milestone. */
  report(): string[] {
    const out: string[] = [];
    let prev = this.start;
    for (const m of MILESTONES) {
      const t = this.seen.get(m);
      if (t === undefined) {
        out.push(`  ${m.padEnd(32)}      (not seen)`);
        continue;
      }
      out.push(
        `  ${m.padEnd(32)} ${((t - this.start) / 1000).toFixed(2).padStart(7)} s  (+${((t - prev) / 1000).toFixed(2)} s)`,
      );
      prev = t;
    }
    return out;
  }

  private mark(m: Milestone): void {
    if (this.start && !this.seen.has(m)) this.seen.set(m, performance.now());
  }

  private watch(rt: ResourceRef, namespace: string, on: (type: string, o: KubeObject) => void): void {
    const signal = this.abort.signal;
    // A function, not the property: TypeScript would keep the loop condition's narrowing.
    const stopped = (): boolean => signal.aborted;
    this.runs.push(
      (async () => {
        while (!stopped()) {
          try {
            for await (const ev of this.cluster.watch(rt, { namespace, signal, timeoutSeconds: 600 })) {
              if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') on(ev.type, ev.object);
            }
          } catch {
            if (!stopped()) await new Promise((r) => setTimeout(r, 100));
          }
        }
      })(),
    );
  }
}
