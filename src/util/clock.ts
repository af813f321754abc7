/** Time source, injected so tests control it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYYMMDDhhmmss` in UTC, the suffix Velero puts on schedule backups and CLI restore names. */
export function timestampSuffix(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
