import { ValidationError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go duration string (`720h`, `1h30m`, `90s`, `0`), the format of Velero's
 * `ttl`, `csiSnapshotTimeout` and similar fields. Returns milliseconds.
 */
export function parseDuration(text: string, field = 'duration'): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) {
    throw new ValidationError(`invalid ${field} "${text}": use a Go duration such as 720h, 1h30m or 90s`);
  }
  return total;
}
