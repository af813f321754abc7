import { StorageConfigError } from '../errors.ts';

/**
 * The spellings Go's `strconv.ParseBool` accepts. Velero's AWS plugin parses its boolean keys
 * with it and fails Init on anything else, so `True` or `1` work there and must work here.
 */
const GO_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s) => [s, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s) => [s, false] as const),
]);

/**
 * A boolean `spec.config` key. Absent or "" is false: the plugin only parses a non-empty value.
 * A value outside Go's spellings is refused rather than read as false, which would silently
 * leave, say, TLS verification on or virtual-host addressing in place.
 */
export function parseBoolConfig(provider: string, config: Readonly<Record<string, string>>, key: string): boolean {
  const value = config[key];
  if (value === undefined || value === '') return false;
  const parsed = GO_BOOLEANS.get(value);
  if (parsed === undefined) {
    throw new StorageConfigError(
      provider,
      `spec.config.${key}`,
      `spec.config.${key} ${JSON.stringify(value)} is not a boolean: use "true" or "false" (1, t, T, TRUE, True, 0, f, F, FALSE and False are accepted too)`,
    );
  }
  return parsed;
}

/** The keys a provider acts on, and the ones it knows but refuses with a reason of their own. */
export interface ProviderKeys {
  /** How the message names the provider: `AWS`, `filesystem`. */
  label: string;
  keys: readonly string[];
  unsupported?: Readonly<Record<string, string>>;
}

/**
 * A key Skiff would not act on is refused rather than ignored: a user who set it believes it
 * works. The first such key is named, with what to do instead when the provider says.
 */
export function refuseUnknownConfigKeys(
  provider: string,
  config: Readonly<Record<string, string>>,
  known: ProviderKeys,
): void {
  for (const key of Object.keys(config)) {
    if (known.keys.includes(key)) continue;
    const why =
      known.unsupported?.[key] ?? `it is not a key of the ${known.label} provider (known: ${known.keys.join(', ')})`;
    throw new StorageConfigError(provider, `spec.config.${key}`, `spec.config.${key}: ${why}`);
  }
}
