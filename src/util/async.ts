/**
 * Merges several async iterables into one, running at most `concurrency` of them at a time,
 * items in the order they arrive. Each source is read ahead of the consumer: as soon as it
 * hands over an item it is asked for the next, until `queued` items wait, and a source that
 * ends makes room for the next source at once. Why: a backup lists three (type, namespace)
 * units at a time, and pulling a unit only when the consumer had handled its previous page
 * let the next page's LIST (or the next unit's first one) wait behind that handling, so that
 * fewer than three requests were in flight most of the time. Memory stays bounded by `queued`
 * items plus one being produced per source.
 */
export async function* mergeBounded<T>(
  sources: Iterable<() => AsyncIterable<T>>,
  concurrency: number,
  queued = concurrency,
): AsyncGenerator<T> {
  const pending = sources[Symbol.iterator]();
  const ready: ({ value: T } | { error: unknown })[] = [];
  const active = new Set<AsyncIterator<T>>();
  /** Sources that handed over an item while `queued` were waiting: asked again once there is room. */
  const paused: AsyncIterator<T>[] = [];
  let wake: (() => void) | undefined;
  /** Set once the consumer stopped: answers still under way start nothing more. */
  let closed = false;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const pull = (it: AsyncIterator<T>): void => {
    it.next().then(
      (res) => {
        if (closed) return;
        if (res.done) {
          active.delete(it);
          start();
        } else {
          ready.push({ value: res.value });
          if (ready.length < queued) pull(it);
          else paused.push(it);
        }
        notify();
      },
      (error: unknown) => {
        if (closed) return;
        active.delete(it);
        ready.push({ error });
        notify();
      },
    );
  };
  const start = (): void => {
    const make = pending.next();
    if (make.done) return;
    let it: AsyncIterator<T>;
    try {
      it = make.value()[Symbol.asyncIterator]();
    } catch (error) {
      ready.push({ error });
      return;
    }
    active.add(it);
    pull(it);
  };
  for (let i = 0; i < concurrency; i++) start();
  try {
    for (;;) {
      const next = ready.shift();
      if (!next) {
        if (active.size === 0) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if ('error' in next) throw next.error;
      while (ready.length < queued) {
        const it = paused.shift();
        if (!it) break;
        pull(it);
      }
      yield next.value;
    }
  } finally {
    closed = true;
    // A source with a request under way ends once it has answered (an async generator's
    // return waits for its pending next).
    for (const it of active) await it.return?.();
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
