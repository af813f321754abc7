/**
 * Where the seconds of one PodVolumeBackup or PodVolumeRestore go (bench:fs): the object's phases as the
 * bench's polling sees them, each kopia or restic process the node agent ran (from the process tree
 * sampled every 100 ms: when it was first and last seen, and the CPU it had used by then), and the CPU
 * time of the agent and of its waited-for children over the whole window, from /proc.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { commandLine, descendants } from '../test/helpers/process-tree.ts';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of `pid` itself and of its children it has waited for (utime+stime, cutime+cstime). */
export function cpuOf(pid: number | 'self'): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const at = (n: number): number => f[n - 3] ?? 0;
    return { own: (at(14) + at(15)) / TICKS, children: (at(16) + at(17)) / TICKS };
  } catch {
    return { own: 0, children: 0 };
  }
}

interface ToolRun {
  what: string;
  first: number;
  last: number;
  cpu: number;
}

export class PhaseTimeline {
  private start = 0;
  private readonly marks = new Map<string, number>();
  private readonly tools = new Map<number, ToolRun>();
  private cpuStart = { own: 0, children: 0 };
  private cpuEnd = { own: 0, children: 0 };

  constructor(private readonly agentPid: number) {}

  begin(): void {
    this.start = performance.now();
    this.cpuStart = cpuOf(this.agentPid);
  }

  /** Notes a milestone the first time it is seen (e.g. the object's phase). */
  mark(what: string): void {
    if (!this.marks.has(what)) this.marks.set(what, performance.now());
  }

  end(): void {
    this.mark('end');
    this.cpuEnd = cpuOf(this.agentPid);
  }

  /** Looks at the agent's children: call it with the RSS sampler. */
  sample(): void {
    const now = performance.now();
    for (const pid of descendants(this.agentPid)) {
      const run = this.tools.get(pid);
      const cpu = cpuOf(pid).own;
      if (run) {
        run.last = now;
        run.cpu = Math.max(run.cpu, cpu);
        continue;
      }
      const args = commandLine(pid);
      if (args.length === 0) continue;
      const words = [
        args[0]?.split('/').pop() ?? '',
        ...args
          .slice(1)
          .filter((a) => !a.startsWith('-'))
          .slice(0, 2),
      ];
      this.tools.set(pid, { what: words.join(' '), first: now, last: now, cpu });
    }
  }

  report(): string[] {
    const s = (t: number): string => ((t - this.start) / 1000).toFixed(2).padStart(6);
    const rows: [number, string][] = [...this.marks].map(([what, t]) => [t, `${s(t)} s  ${what}`]);
    for (const r of this.tools.values()) {
      rows.push([
        r.first,
        `${s(r.first)} s  ${r.what}: seen until ${s(r.last).trim()} s (${((r.last - r.first) / 1000).toFixed(2)} s), CPU ${r.cpu.toFixed(2)} s`,
      ]);
    }
    rows.sort((a, b) => a[0] - b[0]);
    const own = this.cpuEnd.own - this.cpuStart.own;
    const children = this.cpuEnd.children - this.cpuStart.children;
    return [
      ...rows.map(([, line]) => `    ${line}`),
      `    CPU in the window: node agent ${own.toFixed(2)} s, its tools ${children.toFixed(2)} s`,
    ];
  }
}
