import { parseDuration } from '../util/duration.ts';

/**
 * The TTL a backup keeps: its own, unless unset or zero, which both mean the server's
 * `--default-backup-ttl` (reference §1.1, §3.10, §8.3). The real velero CLI writes
 * `ttl: 0s` when no `--ttl` is given, and so does a Schedule template without one.
 * An unparsable TTL is returned as is, for validation to name it.
 */
export function effectiveTtl(ttl: string | undefined, serverDefault: string): string {
  if (ttl === undefined || ttl.trim() === '') return serverDefault;
  try {
    return parseDuration(ttl) === 0 ? serverDefault : ttl;
  } catch {
    return ttl;
  }
}

/** `status.expiration`: start plus the effective TTL. */
export function expirationOf(start: Date, ttl: string | undefined, serverDefault: string): Date {
  return new Date(start.getTime() + parseDuration(effectiveTtl(ttl, serverDefault)));
}
