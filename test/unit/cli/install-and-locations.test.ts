import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveNamespace } from '../../../src/cli/context.ts';
import { deleteSelectionProblems } from '../../../src/cli/backup/delete.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { buildLocation } from '../../../src/cli/backup-location/location-options.ts';
import { locationPatch } from '../../../src/cli/backup-location/set.ts';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { parseCredential } from '../../../src/cli/flags.ts';
import { isTenantInstallObject } from '../../../src/tenant/install.ts';

describe('install objects', () => {
  test('--crds-only yields only the CRDs, and the tenant kinds’ admission policies and roles', () => {
    const { objects, problems } = installObjects('velero', { crdsOnly: true });
    assert.deepEqual(problems, []);
    assert.ok(objects.length > 10);
    assert.ok(objects.every((o) => o.kind === 'CustomResourceDefinition' || isTenantInstallObject(o)));
  });

  test('a full install has the namespace, RBAC, the cloud-credentials secret, the default locations and the server', () => {
    const { objects, problems } = installObjects('backups', {
      provider: 'aws',
      bucket: '/skiff/',
      prefix: 'p',
      backupLocationConfig: ['region=minio,s3Url=http://minio:9000'],
      secretFileContents: Buffer.from('[default]\n'),
    });
    assert.deepEqual(problems, []);
    const rest = objects.filter((o) => o.kind !== 'CustomResourceDefinition' && !isTenantInstallObject(o));
    assert.deepEqual(
      rest.map((o) => `${o.kind}/${o.metadata.name ?? ''}`),
      [
        'Namespace/backups',
        'ServiceAccount/velero',
        'ClusterRoleBinding/velero-backups',
        'Secret/cloud-credentials',
        'BackupStorageLocation/default',
        'VolumeSnapshotLocation/default',
        'Deployment/velero',
      ],
    );
    const [ns, , , secret, bsl] = rest;
    assert.equal(ns!.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.deepEqual(secret!.data, { cloud: Buffer.from('[default]\n').toString('base64') });
    assert.deepEqual(bsl!.spec, {
      provider: 'aws',
      objectStorage: { bucket: 'skiff', prefix: 'p' },
      config: { region: 'minio', s3Url: 'http://minio:9000' },
      credential: { name: 'cloud-credentials', key: 'cloud' },
      default: true,
    });
  });

  test('--secret-file with a filesystem location is refused: the location would refuse the credential', () => {
    const { problems } = installObjects('velero', {
      provider: 'filesystem',
      bucket: 'skiff',
      backupLocationConfig: ['path=/var/backups'],
      secretFileContents: Buffer.from('[default]\n'),
    });
    assert.deepEqual(problems, [
      '--secret-file: a filesystem location takes no credentials (it refuses spec.credential): drop --secret-file',
    ]);
  });

  test('--no-default-backup-location and --use-volume-snapshots=false leave out the locations', () => {
    const { objects, problems } = installObjects('velero', {
      defaultBackupLocation: false,
      useVolumeSnapshots: 'false',
      secret: false,
    });
    assert.deepEqual(problems, []);
    assert.ok(!objects.some((o) => o.kind === 'BackupStorageLocation' || o.kind === 'VolumeSnapshotLocation'));
  });

  test('--cacert becomes the default location’s objectStorage.caCert; refused when that location is left out', () => {
    const caCertBase64 = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');
    const flags = { provider: 'aws', bucket: 'b', secret: false, cacert: '/etc/ca.pem', caCertBase64 };
    const { objects, problems } = installObjects('velero', flags);
    assert.deepEqual(problems, []);
    const bsl = objects.find((o) => o.kind === 'BackupStorageLocation');
    assert.equal((bsl?.spec as { objectStorage: { caCert?: string } }).objectStorage.caCert, caCertBase64);
    const without = installObjects('velero', { ...flags, bucket: undefined, defaultBackupLocation: false });
    assert.match(
      without.problems.join('\n'),
      /--cacert configure the default location: drop them or drop --no-default-backup-location/,
    );
  });

  test('--features reaches the server Deployment as its --features flag; an unknown feature is refused by name', () => {
    const base = { provider: 'filesystem', bucket: 'b', useVolumeSnapshots: 'false' } as const;
    const { objects, problems } = installObjects('velero', { ...base, features: 'EnableAPIGroupVersions' });
    assert.deepEqual(problems, []);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const args = (deployment?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0]?.args;
    assert.ok(args?.includes('--features=EnableAPIGroupVersions'), `args: ${args?.join(' ')}`);
    const bad = installObjects('velero', { ...base, features: 'EnableApiGroupVersion' }).problems;
    assert.ok(
      bad.some((p) => /--features: unknown feature "EnableApiGroupVersion"/.test(p)),
      bad.join('\n'),
    );
    const local = installObjects('velero', { ...base, server: false, features: 'EnableAPIGroupVersions' }).problems;
    assert.ok(
      local.some((p) => /--features configure the server Deployment/.test(p)),
      local.join('\n'),
    );
  });

  test('missing provider, bucket or credentials are all reported', () => {
    const { problems } = installObjects('velero', { provider: 'aws' });
    assert.ok(problems.some((p) => /--secret-file FILE, or --no-secret/.test(p)));
    assert.ok(problems.some((p) => /--bucket is required/.test(p)));
    assert.ok(installObjects('velero', {}).problems.some((p) => /--provider is required/.test(p)));
    // A filesystem location needs no credentials.
    assert.deepEqual(
      installObjects('velero', { provider: 'filesystem', bucket: 'b', useVolumeSnapshots: 'false' }).problems,
      [],
    );
  });
});

describe('backup-location flags', () => {
  test('create builds the spec from flags', () => {
    const { location, problems } = buildLocation('minio', 'velero', {
      provider: 'aws',
      bucket: 'b',
      config: ['region=x', 's3ForcePathStyle=true'],
      credential: 'minio-creds=cloud',
      accessMode: 'ReadOnly',
      default: true,
      backupSyncPeriod: '2m',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(location.spec, {
      provider: 'aws',
      objectStorage: { bucket: 'b' },
      config: { region: 'x', s3ForcePathStyle: 'true' },
      credential: { name: 'minio-creds', key: 'cloud' },
      default: true,
      accessMode: 'ReadOnly',
      backupSyncPeriod: '2m0s',
    });
  });

  test('a bucket with a slash inside, a bad access mode and a bad credential are refused', () => {
    const { problems } = buildLocation('x', 'velero', {
      provider: 'aws',
      bucket: 'a/b',
      accessMode: 'WriteOnly',
      credential: 'nokey',
    });
    assert.equal(problems.length, 3);
    assert.throws(() => parseCredential('a=b,c=d'), /exactly one secret-name=key/);
  });

  test('set patches only what was given, and needs something to change', () => {
    assert.deepEqual(locationPatch({ default: true }).patch, { default: true });
    assert.deepEqual(locationPatch({ default: 'false', accessMode: 'ReadOnly' }).patch, {
      default: false,
      accessMode: 'ReadOnly',
    });
    assert.match(locationPatch({}).problems[0] ?? '', /nothing to change/);
  });
});

describe('backup delete', () => {
  test('a DeleteBackupRequest is named after the backup and labelled with its name and uid', () => {
    const dbr = deleteBackupRequestFor({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'web', namespace: 'velero', uid: 'u-1' },
      spec: {},
    });
    assert.equal(dbr.metadata.generateName, 'web-');
    assert.deepEqual(dbr.metadata.labels, { 'velero.io/backup-name': 'web', 'velero.io/backup-uid': 'u-1' });
    assert.deepEqual(dbr.spec, { backupName: 'web' });
  });

  test('names, --all and --selector are mutually exclusive and one is required', () => {
    assert.equal(deleteSelectionProblems([], false, undefined).length, 1);
    assert.equal(deleteSelectionProblems(['a'], true, undefined).length, 1);
    assert.deepEqual(deleteSelectionProblems([], false, 'a=b'), []);
  });
});

describe('client namespace', () => {
  test('flag, then client config, then VELERO_NAMESPACE, then velero', () => {
    assert.equal(resolveNamespace('flag', { VELERO_NAMESPACE: 'env' }, { namespace: 'cfg' }), 'flag');
    assert.equal(resolveNamespace(undefined, { VELERO_NAMESPACE: 'env' }, { namespace: 'cfg' }), 'cfg');
    assert.equal(resolveNamespace(undefined, { VELERO_NAMESPACE: 'env' }, {}), 'env');
    assert.equal(resolveNamespace(undefined, {}, {}), 'velero');
  });
});
