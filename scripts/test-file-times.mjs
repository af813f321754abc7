// A node:test reporter (scripts/test-phases.sh adds it beside spec): one line per test file, slowest first,
// with the wall time from the file's start (dequeued) to its last event and the summed time of its top-level tests. With
// files running two at a time this is what tells where a run's time goes, and which file to split or speed up.
import { cwd } from 'node:process';

export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    // A file is queued when the run starts; its time starts when it is dequeued (its process starts).
    if (!file || event.type === 'test:enqueue') continue;
    const now = Date.now();
    const f = files.get(file) ?? { first: now, last: now, tests: 0, failed: 0 };
    f.last = now;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      f.tests += event.data.details?.duration_ms ?? 0;
      if (event.type === 'test:fail') f.failed++;
    }
    files.set(file, f);
  }
  const rows = [...files].sort((a, b) => b[1].last - b[1].first - (a[1].last - a[1].first));
  yield 'wall_s\ttests_s\tfile\n';
  for (const [file, f] of rows) {
    const rel = file.startsWith(cwd()) ? file.slice(cwd().length + 1) : file;
    yield `${((f.last - f.first) / 1000).toFixed(1)}\t${(f.tests / 1000).toFixed(1)}\t${rel}${f.failed ? '\tFAILED' : ''}\n`;
  }
}
