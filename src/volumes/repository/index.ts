export * from './identity.ts';
export * from './password.ts';
export * from './open.ts';
export * from './ensure.ts';
export * from './maintenance.ts';
export { backupRepositoryController, repositoryTypeField } from './controller.ts';
export * from './forget-snapshots.ts';
