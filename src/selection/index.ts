export * from './backup-predicates.ts';
export * from './backup-selection.ts';
export * from './glob.ts';
export * from './includes-excludes.ts';
export * from './item.ts';
export * from './label-selector.ts';
export * from './resource-filter.ts';
export * from './restore-selection.ts';
