/**
 * What the view API serves for one TenantBackup or TenantRestore: its log and details, read
 * from the bucket where the server stored them (Velero's layout, under the tenant's
 * `tenants/<namespace UID>/` prefix). The files are found from the live objects only: the
 * object's UID names the velero.io operation, the live namespace's UID names the location, so
 * a request can only ever reach the files of the object it names.
 *
 * The stored files name the velero.io operation in the server namespace (`backup=velero/tenant-<uid>`);
 * those names are rewritten to the tenant's own (`backup=team-a/nightly`), so nothing served
 * mentions a namespace the tenant did not name.
 */
import { Transform, type Readable } from 'node:stream';
import type { LocationResolver } from '../../controllers/locations.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { ObjectNotFoundError, type BackupStore } from '../../storage/index.ts';
import { liveNamespace } from '../exec/namespaces.ts';
import { phaseOf, tenantLocationName, TenantTypes, veleroBackupNameOf } from '../exec/resources.ts';
import { VIEW_GROUP_VERSION, type ViewRequest } from './api.ts';

export interface ViewContentDeps {
  cluster: Cluster;
  /** The server namespace, where the velero.io operations and locations live. */
  namespace: string;
  locations: LocationResolver;
}

/** The object or its files do not exist (yet): a 404 with this message. */
export class ViewNotFoundError extends Error {}

/** The velero.io Restore that carries a TenantRestore (named by its UID in restore-controller.ts). */
export function veleroRestoreNameOf(tenantRestore: KubeObject): string {
  return `tenant-${tenantRestore.metadata.uid ?? ''}`;
}

/** One operation's files in its tenant location, and how to rewrite the server's names in them. */
interface Located {
  object: KubeObject;
  store: BackupStore;
  veleroName: string;
  replacements: [string, string][];
}

async function storeOfNamespace(deps: ViewContentDeps, namespace: string, what: string): Promise<BackupStore> {
  const uid = (await liveNamespace(deps.cluster, namespace))?.metadata.uid;
  const location = uid ? await deps.locations.find(tenantLocationName(uid)) : undefined;
  if (!location) throw new ViewNotFoundError(`nothing is stored for ${what} yet`);
  return deps.locations.store(location);
}

async function locate(deps: ViewContentDeps, req: ViewRequest): Promise<Located> {
  const backup = req.resource === 'tenantbackups';
  const type = backup ? TenantTypes.TenantBackup : TenantTypes.TenantRestore;
  const object = await deps.cluster.find(type, req.name, req.namespace);
  const what = `${type.resource}.${type.group} "${req.name}"`;
  if (!object) throw new ViewNotFoundError(`${what} not found in namespace ${req.namespace}`);
  const own = `${req.namespace}/${req.name}`;
  if (backup) {
    const veleroName = veleroBackupNameOf(object);
    const replacements: [string, string][] = [
      [`${deps.namespace}/${veleroName}`, own],
      [veleroName, req.name],
    ];
    return { object, store: await storeOfNamespace(deps, req.namespace, what), veleroName, replacements };
  }
  // A restore's files sit with its backup, under the source namespace's prefix.
  const ref = isRecord(object.spec) && isRecord(object.spec.backupRef) ? object.spec.backupRef : {};
  const source = typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : req.namespace;
  const backupName = typeof ref.name === 'string' ? ref.name : '';
  const veleroName = veleroRestoreNameOf(object);
  const replacements: [string, string][] = [
    [`${deps.namespace}/${veleroName}`, own],
    [veleroName, req.name],
  ];
  const sourceBackup = backupName ? await deps.cluster.find(TenantTypes.TenantBackup, backupName, source) : undefined;
  if (sourceBackup) replacements.push([veleroBackupNameOf(sourceBackup), backupName]);
  return { object, store: await storeOfNamespace(deps, source, what), veleroName, replacements };
}

export function rewriteNames(text: string, replacements: readonly [string, string][]): string {
  let out = text;
  for (const [from, to] of replacements) out = out.split(from).join(to);
  return out;
}

/** Rewrites whole lines as they stream by (a name never spans a line). */
function rewritingLines(replacements: readonly [string, string][]): Transform {
  let rest = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = rest + chunk.toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      rest = text.slice(end);
      done(null, end > 0 ? rewriteNames(text.slice(0, end), replacements) : undefined);
    },
    flush(done) {
      done(null, rest ? rewriteNames(rest, replacements) : undefined);
    },
  });
}

/** The operation's log, decompressed, with the server's names rewritten. */
export async function openOperationLog(deps: ViewContentDeps, req: ViewRequest): Promise<Readable> {
  const { object, store, veleroName, replacements } = await locate(deps, req);
  let log: Readable;
  try {
    log =
      req.resource === 'tenantbackups' ? await store.getBackupLog(veleroName) : await store.getRestoreLog(veleroName);
  } catch (err) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
    throw new ViewNotFoundError(
      `the log of ${req.resource} "${req.name}" is not stored yet (phase ${phaseOf(object) || 'New'}): it is written when the operation finishes`,
    );
  }
  return log.pipe(rewritingLines(replacements));
}

/** What `describe --details` shows: the resource list, the warnings and errors, the volume info. */
export async function operationDetails(deps: ViewContentDeps, req: ViewRequest): Promise<Record<string, unknown>> {
  const { object, store, veleroName, replacements } = await locate(deps, req);
  const files = ['resourceList', 'results', 'volumeInfo'] as const;
  const values = await Promise.all(
    files.map((f) =>
      req.resource === 'tenantbackups' ? store.getBackupFile(veleroName, f) : store.getRestoreFile(veleroName, f),
    ),
  );
  const [resourceList, results, volumeInfo] = values.map((v) =>
    v === undefined ? null : (JSON.parse(rewriteNames(JSON.stringify(v), replacements)) as unknown),
  );
  return {
    apiVersion: VIEW_GROUP_VERSION,
    kind: req.resource === 'tenantbackups' ? 'TenantBackupDetails' : 'TenantRestoreDetails',
    metadata: { name: req.name, namespace: req.namespace },
    phase: phaseOf(object),
    resourceList,
    results,
    volumeInfo,
  };
}
