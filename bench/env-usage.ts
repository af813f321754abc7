/**
 * What the test environment's own processes do while a bench's tool runs (bench:datamover): the CPU seconds of
 * each of them (the API server, etcd, MinIO, kwok, the CSI processes, the node agents, the bench process with
 * its in-process Skiff server) and the sectors read from the CSI storage's loop device, between two snapshots.
 * The machine has two cores: when kopia runs beside other busy processes of the same run, its wall time grows for
 * the same CPU time, so a window's CPU beside kopia explains a wall-time gap that kopia's own CPU does not.
 * kopia (and its GNU time wrapper) are left out: GNU time measures them.
 */
import { readFileSync } from 'node:fs';
import { cpuOf } from './fs-phases.ts';
import { commandLine, descendants } from '../test/helpers/process-tree.ts';

export interface UsageSnapshot {
  at: number;
  cpu: Map<string, number>;
  loopSectorsRead: number;
}

/** The processes of the run, by name: `.testenv/pids` (`name pid` lines) plus the given ones. */
export function runProcesses(runDir: string, extra: Record<string, number | undefined>): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const line of readFileSync(`${runDir}/pids`, 'utf8').split('\n')) {
      const [name, pid] = line.trim().split(/\s+/);
      if (name && pid && /^\d+$/.test(pid)) out.set(name, Number(pid));
    }
  } catch {
    // No pids file: only the extra ones.
  }
  for (const [name, pid] of Object.entries(extra)) if (pid) out.set(name, pid);
  return out;
}

const isUploader = (pid: number): boolean => {
  const cmd = commandLine(pid);
  return cmd.some((a) => /(^|\/)(kopia|restic)(-recorded)?$/.test(a)) || /(^|\/)time$/.test(cmd[0] ?? '');
};

/** CPU seconds of a process and its live descendants (their own time only; the uploaders left out). */
function treeCpu(pid: number): number {
  let sum = cpuOf(pid).own;
  for (const child of descendants(pid)) if (!isUploader(child)) sum += cpuOf(child).own;
  return sum;
}

/** Sectors read from the loop device holding `mountDir` (the CSI storage image), 0 when there is none. */
function loopSectorsRead(mountDir: string): number {
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    const line = mounts.find((l) => l.split(' ')[4] === mountDir);
    const source = line?.split(' - ')[1]?.split(' ')[1] ?? '';
    const dev = /^\/dev\/(loop\d+)$/.exec(source)?.[1];
    if (!dev) return 0;
    return Number(readFileSync(`/sys/block/${dev}/stat`, 'utf8').trim().split(/\s+/)[2] ?? 0);
  } catch {
    return 0;
  }
}

export function usageSnapshot(processes: Map<string, number>, csiStorage: string): UsageSnapshot {
  const cpu = new Map<string, number>();
  for (const [name, pid] of processes) cpu.set(name, treeCpu(pid));
  return { at: performance.now(), cpu, loopSectorsRead: loopSectorsRead(csiStorage) };
}

/** One line: wall seconds, the run's other processes' CPU (total, then the busiest), MiB read from the loop device. */
export function describeWindow(from: UsageSnapshot | undefined, to: UsageSnapshot | undefined): string {
  if (!from || !to) return '(not measured)';
  const rows = [...to.cpu].map(([name, cpu]) => [name, cpu - (from.cpu.get(name) ?? cpu)] as const);
  const total = rows.reduce((s, [, c]) => s + c, 0);
  const busiest = rows
    .filter(([, c]) => c >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([n, c]) => `${n} ${c.toFixed(2)}`)
    .join(', ');
  const wall = (to.at - from.at) / 1000;
  const readMiB = ((to.loopSectorsRead - from.loopSectorsRead) * 512) / 1024 ** 2;
  return (
    `${wall.toFixed(2)} s wall; other processes of the run ${total.toFixed(2)} s CPU ` +
    `(${busiest || 'none'}); ${readMiB.toFixed(0)} MiB read from the CSI storage's loop device`
  );
}
