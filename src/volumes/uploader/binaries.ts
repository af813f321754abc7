/**
 * Where the uploader binaries are: `SKIFF_KOPIA_BINARY` / `SKIFF_RESTIC_BINARY` when set (the
 * test environment builds kopia into its cache), else `kopia` / `restic` on PATH.
 */
import type { UploaderBinaries } from './index.ts';

export function defaultUploaderBinaries(env: NodeJS.ProcessEnv = process.env): Required<UploaderBinaries> {
  return { kopia: env.SKIFF_KOPIA_BINARY || 'kopia', restic: env.SKIFF_RESTIC_BINARY || 'restic' };
}
