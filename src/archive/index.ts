export { ArchiveError, ArchiveErrorCode, isArchiveError } from './errors.ts';
export {
  ARCHIVE_FORMAT_VERSION,
  CLUSTER_DIR,
  groupResourceFolder,
  itemEntryPath,
  itemEntryPaths,
  METADATA_DIR,
  METADATA_VERSION_CONTENT,
  METADATA_VERSION_PATH,
  NAMESPACES_DIR,
  normalizeEntryName,
  parseEntryPath,
  PREFERRED_VERSION_SUFFIX,
  RESOURCES_DIR,
  splitGroupResource,
  versionFolder,
  type ArchiveItemLocation,
  type ParsedEntryPath,
} from './layout.ts';
export { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './limits.ts';
export {
  readBackupArchive,
  type ArchiveItemErrorRecord,
  type ArchiveItemRecord,
  type ArchiveMetadataRecord,
  type ArchiveNoteRecord,
  type ArchiveRecord,
} from './reader.ts';
export {
  indexBackupArchive,
  type ArchiveIndex,
  type ItemCatalogue,
  type ResourceFolderIndex,
} from './archive-index.ts';
export { BackupArchiveWriter, type ArchiveItem, type BackupArchiveWriterOptions, type EntryData } from './writer.ts';
