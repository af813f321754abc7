/**
 * Merges several async iterables into one, running at most `concurrency` of them at a
 * time. Items are handed over one at a time, so a slow consumer holds every producer
 * back (memory stays bounded by `concurrency` in-flight items plus their open pages).
 */
export async function* mergeBounded<T>(
  sources: Iterable<() => AsyncIterable<T>>,
  concurrency: number,
): AsyncGenerator<T> {
  const pending = [...sources];
  type Slot = { it: AsyncIterator<T>; next: Promise<{ slot: Slot; res: IteratorResult<T> }> };
  const active = new Set<Slot>();
  const start = (): void => {
    const make = pending.shift();
    if (!make) return;
    const it = make()[Symbol.asyncIterator]();
    const slot: Slot = { it, next: undefined as unknown as Slot['next'] };
    slot.next = it.next().then((res) => ({ slot, res }));
    active.add(slot);
  };
  for (let i = 0; i < concurrency; i++) start();
  try {
    while (active.size > 0) {
      const { slot, res } = await Promise.race([...active].map((s) => s.next));
      if (res.done) {
        active.delete(slot);
        start();
        continue;
      }
      yield res.value;
      slot.next = slot.it.next().then((r) => ({ slot, res: r }));
    }
  } finally {
    for (const slot of active) await slot.it.return?.();
  }
}

/** Calls `fn` at most once per `intervalMs`; the last call is delivered by `flush`. */
export function throttle(
  fn: () => Promise<void> | void,
  intervalMs: number,
): { call: () => void; flush: () => Promise<void> } {
  let last = 0;
  let running: Promise<void> | undefined;
  let dirty = false;
  const run = (): void => {
    last = Date.now();
    dirty = false;
    running = Promise.resolve(fn())
      .catch(() => undefined)
      .finally(() => (running = undefined));
  };
  return {
    call: () => {
      dirty = true;
      if (!running && Date.now() - last >= intervalMs) run();
    },
    flush: async () => {
      await running;
      if (dirty) {
        run();
        await running;
      }
    },
  };
}

/**
 * Runs `fn` one call at a time. Calls made while a run is under way are folded into a single
 * run after it, so a burst of triggers costs at most two runs; each returned promise settles
 * with a run that started after the call.
 */
export function coalesced(fn: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run = fn().finally(() => {
      if (current === run) current = undefined;
    });
    current = run;
    return run;
  };
  return () => {
    if (next) return next;
    if (!current) return start();
    const after = current
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    next = after;
    return after;
  };
}

/**
 * Calls `fn` for each item of `source` with at most `concurrency` calls in flight. Items are
 * pulled only when a call can start, so a lazily produced source has at most `concurrency`
 * items alive at once. The first failure stops the pulling and is thrown once the calls
 * already started have settled.
 *
 * A finished call wakes the loop directly: a `Promise.race` over the calls in flight would
 * attach a reaction to each of them per item (a restore runs this once per object).
 */
export async function forEachBounded<T>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const limit = Math.max(1, concurrency);
  let running = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const settled = (): void => {
    running--;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const slotOrIdle = (idle: boolean): Promise<void> | undefined =>
    (idle ? running > 0 : running >= limit) ? new Promise<void>((resolve) => (wake = resolve)) : undefined;
  for await (const item of source) {
    running++;
    fn(item).then(settled, (error: unknown) => {
      failure ??= { error };
      settled();
    });
    // Wait for a free slot.
    for (let wait = slotOrIdle(false); wait; wait = slotOrIdle(false)) await wait;
    if (failure) break;
  }
  // Then for the calls still in flight.
  for (let wait = slotOrIdle(true); wait; wait = slotOrIdle(true)) await wait;
  if (failure) throw failure.error;
}
