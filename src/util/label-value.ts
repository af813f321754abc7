import { createHash } from 'node:crypto';

/**
 * Velero's label-value normalisation (`GetValidName`, reference §0): values of 63
 * characters or fewer stay; longer ones become their first 57 characters plus the first
 * 6 hex characters of the SHA-256 of the whole value.
 */
export function validLabelValue(value: string): string {
  if (value.length <= 63) return value;
  return value.slice(0, 57) + createHash('sha256').update(value).digest('hex').slice(0, 6);
}
