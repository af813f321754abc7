import { readFile } from 'node:fs/promises';
import { Kinds, resourceRef, type BackupStorageLocation } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { readSecretKey } from '../kube/secrets.ts';
import { backupStoreForLocation, type BackupStore } from '../storage/index.ts';
import { ValidationError } from '../util/errors.ts';

/** A secret key or file read while opening a store: how to read it again, and what it said. */
interface Input {
  read: () => Promise<string>;
  value: string;
}

/** A store opened for a location, with what it was opened from. */
interface OpenedStore {
  spec: string;
  inputs: Input[];
  store: BackupStore;
}

/**
 * Opens the object storage behind the locations of one server namespace.
 *
 * One store per location is kept and handed out again while the location's spec and the
 * credentials it was opened with are unchanged: the location controller validates every
 * location periodically, so a backup, restore or download meets a client that has already
 * set itself up and holds open connections. A client's first request costs tens of
 * milliseconds of set-up; a backup of 10,000 objects takes a few hundred.
 */
export class LocationResolver {
  private readonly opened = new Map<string, OpenedStore>();

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

  /**
   * The store of a location. Credentials are read on every call, so a rotated secret or
   * credentials file opens a new store at once instead of when the old one fails.
   */
  async store(bsl: BackupStorageLocation): Promise<BackupStore> {
    const id = `${bsl.metadata.namespace ?? this.namespace}/${bsl.metadata.name ?? ''}`;
    const spec = JSON.stringify(bsl.spec);
    const previous = this.opened.get(id);
    if (previous && previous.spec === spec && (await unchanged(previous.inputs))) return previous.store;
    const inputs: Input[] = [];
    const remember = async (read: () => Promise<string>): Promise<string> => {
      const value = await read();
      inputs.push({ read, value });
      return value;
    };
    const store = await backupStoreForLocation(bsl, {
      defaultNamespace: this.namespace,
      ...(this.credentialsFile ? { awsSharedCredentialsFile: this.credentialsFile } : {}),
      readSecretKey: (namespace, name, key) => remember(() => this.readSecretKey(namespace, name, key)),
    });
    // The provider reads the credentials file itself; its content decides reuse all the same.
    const file = this.credentialsFile;
    if (file) await remember(() => readFile(file, 'utf8').catch(() => ''));
    const current = this.opened.get(id);
    if (current && current !== previous) {
      // Opened concurrently by another caller: keep one of the two.
      store.dispose();
      return current.store;
    }
    previous?.store.dispose();
    this.opened.set(id, { spec, inputs, store });
    return store;
  }

  private readSecretKey(namespace: string, name: string, key: string): Promise<string> {
    return readSecretKey(this.cluster, namespace, name, key);
  }
}

async function unchanged(inputs: readonly Input[]): Promise<boolean> {
  for (const { read, value } of inputs) {
    const now = await read().catch(() => undefined);
    if (now !== value) return false;
  }
  return true;
}
