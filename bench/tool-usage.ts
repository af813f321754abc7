/**
 * The CPU time, wall time and peak RSS of every run of a tool (kopia) in a bench, whoever starts it (the bench
 * itself, or a node agent given the wrapper as its binary): on a machine loaded by others, wall-clock ratios are
 * noisy, CPU time is not. The wrapper runs the tool under GNU time (`/usr/bin/time`), which appends one line per
 * run to a log.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ToolRun {
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  /** The tool's arguments. */
  args: string;
}

export interface ToolRecorder {
  /** The wrapper's path: give it where the tool's path is asked for. */
  binary: string;
  runs(): Promise<ToolRun[]>;
}

/** Writes `<dir>/<name>-recorded`, which runs `binary` with its arguments and records the run. */
export async function recordingWrapper(binary: string, dir: string, name = 'kopia'): Promise<ToolRecorder> {
  const log = join(dir, `${name}-runs.log`);
  const wrapper = join(dir, `${name}-recorded`);
  await writeFile(log, '');
  await writeFile(wrapper, `#!/bin/sh\nexec /usr/bin/time -a -o '${log}' -f '%e %U %S %M %C' '${binary}' "$@"\n`, {
    mode: 0o755,
  });
  await chmod(wrapper, 0o755);
  return {
    binary: wrapper,
    runs: async () =>
      (await readFile(log, 'utf8')).split('\n').flatMap((line) => {
        const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+) (.*)$/.exec(line);
        if (!m) return [];
        return [
          {
            wallSeconds: Number(m[1]),
            cpuSeconds: Number(m[2]) + Number(m[3]),
            maxRssMiB: Number(m[4]) / 1024,
            args: (m[5] ?? '').replace(`${binary} `, ''),
          },
        ];
      }),
  };
}

/** One line for a run: wall, CPU, RSS. */
export function describeRun(run: ToolRun | undefined): string {
  if (!run) return '(not seen)';
  return `${run.wallSeconds.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} s CPU, ${run.maxRssMiB.toFixed(0)} MiB RSS`;
}
