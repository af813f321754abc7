import { Kinds, resourceRef, type BackupStorageLocation } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { backupStoreForLocation, type BackupStore } from '../storage/index.ts';
import { ValidationError } from '../util/errors.ts';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' };

/** Opens the object storage behind the locations of one server namespace. */
export class LocationResolver {
  constructor(
    private readonly cluster: Cluster,
    private readonly namespace: string,
    private readonly credentialsFile: string | undefined,
  ) {}

  find(name: string): Promise<BackupStorageLocation | undefined> {
    return this.cluster.find(resourceRef(Kinds.BackupStorageLocation), name, this.namespace) as Promise<
      BackupStorageLocation | undefined
    >;
  }

  async get(name: string): Promise<BackupStorageLocation> {
    const bsl = await this.find(name);
    if (!bsl) {
      throw new ValidationError(
        `backup storage location "${name}" not found in namespace ${this.namespace}: create it with 'skiff backup-location create', or choose another with --storage-location`,
      );
    }
    return bsl;
  }

  /** The location marked `spec.default`, else the one named by the server flag. */
  async defaultName(fallback: string): Promise<string> {
    const list = await this.cluster.client.request<{ items: BackupStorageLocation[] }>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/${this.namespace}/backupstoragelocations`,
    });
    return list.items.find((b) => b.spec.default === true)?.metadata.name ?? fallback;
  }

  store(bsl: BackupStorageLocation): Promise<BackupStore> {
    return backupStoreForLocation(bsl, {
      defaultNamespace: this.namespace,
      ...(this.credentialsFile ? { awsSharedCredentialsFile: this.credentialsFile } : {}),
      readSecretKey: async (namespace, name, key) => {
        const secret = await this.cluster.get(SECRETS, name, namespace);
        const value = (secret.data as Record<string, string> | undefined)?.[key];
        if (value === undefined) throw new ValidationError(`secret ${namespace}/${name} has no key "${key}"`);
        return Buffer.from(value, 'base64').toString('utf8');
      },
    });
  }
}
