/**
 * `new Date(ms).toISOString()` for a stream of increasing timestamps (log lines): the part up
 * to the seconds is formatted once per second and the milliseconds appended. A restore writes a
 * log line per item, and `toISOString` cost about 2 µs of them each, as much as the rest of the line.
 */
export class IsoTimeFormatter {
  private second = Number.NaN;
  private prefix = '';

  format(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      // `YYYY-MM-DDTHH:MM:SS.` of the full form.
      this.prefix = new Date(second * 1000).toISOString().slice(0, -4);
    }
    const milli = ms - second * 1000;
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}
