/**
 * Writes a PodVolumeBackup's or PodVolumeRestore's `status.progress` about once a second
 * (reference §6.3): the uploader reports far more often; the last value is always written.
 */
import type { Progress } from '../uploader/index.ts';

export class ProgressWriter {
  private latest: Progress | undefined;
  private written: Progress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (progress: Progress) => Promise<void>,
    private readonly intervalMs = 1000,
  ) {}

  report(progress: Progress): void {
    this.latest = progress;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushLatest();
    }, this.intervalMs);
  }

  private flushLatest(): void {
    const p = this.latest;
    if (!p || (this.written && this.written.bytesDone === p.bytesDone && this.written.totalBytes === p.totalBytes)) {
      return;
    }
    this.written = p;
    this.writing = this.writing.then(() => this.write(p)).catch(() => undefined);
  }

  /** Stops the timer and waits for the writes in flight. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }
}
