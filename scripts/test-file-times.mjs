// A node:test reporter (scripts/test-phases.sh adds it beside spec): one line per test file, slowest first,
// with the wall time from the file's start (dequeued) to its end and the summed time of its top-level tests, and
// when it started and ended (seconds from the phase's start). With files running two at a time this is what tells
// where a run's time goes, and which file to split or speed up.
//
// The end is the file's last `test:complete` event. The runner holds back a file's other events (pass, fail,
// diagnostics) while an earlier-started file still runs, so the last event of any kind can come long after the
// file ended: a file that ran 1 s beside one that ran 5 s would show 5 s.
import { relative } from 'node:path';
import { cwd } from 'node:process';

export default async function* fileTimes(source) {
  const t0 = Date.now();
  const files = new Map();
  for await (const event of source) {
    // Some events name the file by its absolute path, others as given on the command line: one key for both.
    const file = event.data?.file && relative(cwd(), event.data.file);
    // A file is queued when the run starts; its time starts when it is dequeued (its process starts).
    if (!file || event.type === 'test:enqueue') continue;
    const now = Date.now();
    const f = files.get(file) ?? { first: now, last: now, completed: 0, tests: 0, failed: 0 };
    f.last = now;
    if (event.type === 'test:complete') f.completed = now;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      f.tests += event.data.details?.duration_ms ?? 0;
      if (event.type === 'test:fail') f.failed++;
    }
    files.set(file, f);
  }
  const end = (f) => f.completed || f.last;
  const rows = [...files].sort((a, b) => end(b[1]) - b[1].first - (end(a[1]) - a[1].first));
  const s = (ms) => (ms / 1000).toFixed(1);
  yield 'wall_s\ttests_s\tstart_s\tend_s\tfile\n';
  for (const [file, f] of rows) {
    const cols = [s(end(f) - f.first), s(f.tests), s(f.first - t0), s(end(f) - t0), file];
    yield `${cols.join('\t')}${f.failed ? '\tFAILED' : ''}\n`;
  }
}
