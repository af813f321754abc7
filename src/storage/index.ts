export * from './object-store.ts';
export * from './errors.ts';
export * from './provider.ts';
export * from './backup-store.ts';
export * from './location.ts';
export { StoreLayout, topLevelDirectories, downloadTargets, isDownloadTargetKind, tenantPrefix } from './layout.ts';
export { createProviderRegistry, defaultProviders, providerFor } from './providers/index.ts';
