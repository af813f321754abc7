/**
 * The backups or restores this process is running, shared by a controller and its queue:
 * the queue counts them against the limit, and looks again when one ends. A run has two
 * parts: its start (validation, the InProgress transition), awaited by the reconcile so that
 * a failure is retried like any other, and the long remainder, which runs in the background
 * so that other operations can run beside it.
 */
export type RunRemainder = () => Promise<void>;

export class RunningOperations {
  private readonly running = new Set<string>();
  private readonly remainders = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();

  has(name: string): boolean {
    return this.running.has(name);
  }

  get size(): number {
    return this.running.size;
  }

  /** Called whenever a run ends (or its start fails): a slot may be free. */
  onEnded(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * Runs `start` under `name` (nothing when a run of that name is under way); the remainder it
   * returns goes on in the background, `name` counted as running until it settles. Errors of the
   * start are thrown; those of the remainder go to `onError`.
   */
  async run(
    name: string,
    start: () => Promise<RunRemainder | undefined>,
    onError: (err: unknown) => void,
  ): Promise<void> {
    if (this.running.has(name)) return;
    this.running.add(name);
    let remainder: RunRemainder | undefined;
    try {
      remainder = await start();
    } catch (err) {
      this.ended(name);
      throw err;
    }
    if (!remainder) {
      this.ended(name);
      return;
    }
    const done: Promise<void> = remainder()
      .catch(onError)
      .finally(() => {
        this.remainders.delete(done);
        this.ended(name);
      });
    this.remainders.add(done);
  }

  /** Settles once no remainder is running (a graceful stop waits for the work in flight). */
  async drain(): Promise<void> {
    while (this.remainders.size > 0) await Promise.allSettled([...this.remainders]);
  }

  private ended(name: string): void {
    this.running.delete(name);
    for (const listener of this.listeners) listener();
  }
}
