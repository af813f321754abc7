/**
 * The server installs (or updates) the velero.io CRDs at start. When it cannot, it must say
 * which kinds are missing and how to get them, instead of failing later on every list with
 * "404 page not found".
 */
import { buildAllCrds } from '../api/all-crds.ts';
import { CRD_RESOURCE, installCrds, type CrdCluster, type CrdInstallResult } from '../api/install.ts';
import { formatError, SkiffError } from '../util/errors.ts';

/** The server could not install the CRDs, and some are not there. */
export class MissingCrdsError extends SkiffError {
  readonly code = 'MissingCrds';
  constructor(
    readonly missing: readonly string[],
    cause: unknown,
  ) {
    super(
      `the CustomResourceDefinitions ${missing.join(', ')} are not installed in this cluster, and the server ` +
        `could not install them (${formatError(cause)}). Install them as a cluster administrator with ` +
        `'skiff install --crds-only' (or 'skiff install'), or allow the server's account to create and patch ` +
        `customresourcedefinitions, then start the server again.`,
      { cause },
    );
  }
}

/** Installs the CRDs; on failure throws MissingCrdsError naming those absent, or a clear error if all are there. */
export async function ensureCrds(cluster: CrdCluster): Promise<CrdInstallResult[]> {
  try {
    return await installCrds(cluster);
  } catch (err) {
    const missing: string[] = [];
    for (const crd of buildAllCrds()) {
      const name = crd.metadata.name ?? '';
      const live = await cluster.find(CRD_RESOURCE, name).catch(() => undefined);
      if (!live) missing.push(name);
    }
    if (missing.length > 0) throw new MissingCrdsError(missing, err);
    throw new Error(
      `the server could not update the velero.io and tenant.skiff.dev CustomResourceDefinitions to this version: ${formatError(err)}. ` +
        `Update them with 'skiff install --crds-only' as a cluster administrator.`,
      { cause: err },
    );
  }
}
