import { StorageConfigError } from '../errors.ts';
import type { ObjectStoreProvider } from '../provider.ts';
import { awsProvider } from './aws/index.ts';
import { filesystemProvider } from './filesystem/index.ts';

/** Every `spec.provider` name Skiff understands → its provider. */
export function createProviderRegistry(
  providers: readonly ObjectStoreProvider[] = [awsProvider, filesystemProvider],
): Map<string, ObjectStoreProvider> {
  const registry = new Map<string, ObjectStoreProvider>();
  for (const provider of providers) for (const name of provider.names) registry.set(name, provider);
  return registry;
}

export const defaultProviders: ReadonlyMap<string, ObjectStoreProvider> = createProviderRegistry();

export function providerFor(
  name: string,
  registry: ReadonlyMap<string, ObjectStoreProvider> = defaultProviders,
): ObjectStoreProvider {
  const provider = registry.get(name);
  if (provider === undefined) {
    throw new StorageConfigError(
      name,
      'spec.provider',
      `object storage provider "${name}" is not supported: use one of ${[...registry.keys()].join(', ')}`,
    );
  }
  return provider;
}
