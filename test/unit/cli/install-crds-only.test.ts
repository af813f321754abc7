import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { createAll, installCommand } from '../../../src/cli/install/install.ts';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { NO_SNAPSHOTTER_NOTE } from '../../../src/cli/snapshot-location/snapshot-location-options.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { isTenantInstallObject } from '../../../src/tenant/install.ts';

/** The flags that do something with --crds-only: they print the CRDs instead of installing them. */
const ALLOWED_WITH_CRDS_ONLY = new Set(['--crds-only', '--dry-run', '--output']);

/** A command line that gives `long` as a user would. */
function argsFor(option: {
  long?: string;
  negate: boolean;
  required: boolean;
  optional: boolean;
  argChoices?: string[];
}): string[] {
  const long = option.long ?? '';
  if (option.required) return [long, option.argChoices?.[1] ?? 'x'];
  if (option.optional) return [`${long}=true`];
  return [long];
}

beforeEach(() => {
  mock.method(CliContext.prototype, 'cluster', () => {
    throw new Error('the command reached the cluster');
  });
});
afterEach(() => mock.restoreAll());

describe('skiff install --crds-only', () => {
  test('refuses every other flag given, naming each', () => {
    const { problems } = installObjects('velero', {
      crdsOnly: true,
      provider: 'aws',
      bucket: 'b',
      backupLocationConfig: ['region=x'],
      secretFile: './creds',
      image: 'skiff:1',
      useNodeAgent: true,
      server: false,
      useVolumeSnapshots: 'false',
    });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /^--provider, --bucket, --backup-location-config, --use-volume-snapshots, --secret-file, --image, --use-node-agent, --no-server configure what install creates besides the CRDs, which --crds-only leaves out/,
    );
  });

  test('the defaults of --no-secret, --no-server and --no-default-backup-location do not count as given', () => {
    const { problems } = installObjects('velero', {
      crdsOnly: true,
      secret: true,
      server: true,
      defaultBackupLocation: true,
    });
    assert.deepEqual(problems, []);
  });

  for (const option of installCommand().options) {
    const long = option.long ?? '';
    if (ALLOWED_WITH_CRDS_ONLY.has(long)) continue;
    test(`the command line refuses ${long} with --crds-only before it touches the cluster`, async () => {
      const args = ['install', '--crds-only', ...argsFor(option)];
      await assert.rejects(
        buildProgram().exitOverride().parseAsync(args, { from: 'user' }),
        (err: unknown) =>
          err instanceof FlagError && err.problems.some((p) => p.includes(long) && p.includes('--crds-only')),
      );
    });
  }
});

describe('skiff install: location flags without their location', () => {
  test('--backup-location-config with --no-default-backup-location is refused', () => {
    const { problems } = installObjects('velero', {
      provider: 'filesystem',
      defaultBackupLocation: false,
      backupLocationConfig: ['path=/b'],
    });
    assert.ok(
      problems.some((p) => /^--backup-location-config configure the default location/.test(p)),
      problems.join('\n'),
    );
  });

  test('--snapshot-location-config with --use-volume-snapshots=false is refused', () => {
    const { problems } = installObjects('velero', {
      provider: 'filesystem',
      bucket: 'b',
      useVolumeSnapshots: 'false',
      snapshotLocationConfig: ['region=x'],
    });
    assert.ok(
      problems.some((p) => /^--snapshot-location-config configures the default volume snapshot location/.test(p)),
    );
  });

  test('--provider with neither default location is refused', () => {
    const { problems } = installObjects('velero', {
      provider: 'filesystem',
      defaultBackupLocation: false,
      useVolumeSnapshots: 'false',
    });
    assert.ok(
      problems.some((p) => /^--provider is the provider of the default locations/.test(p)),
      problems.join('\n'),
    );
  });
});

describe('skiff install: the note on the default VolumeSnapshotLocation', () => {
  const objects = (): KubeObject[] =>
    installObjects('velero', { provider: 'filesystem', bucket: 'b', server: false }).objects.filter(
      (o) => o.kind !== 'CustomResourceDefinition' && !isTenantInstallObject(o),
    );

  async function printed(exists: (obj: KubeObject) => boolean, objs: KubeObject[]): Promise<string[]> {
    const lines: string[] = [];
    const cluster = {
      create: (_ref: unknown, obj: KubeObject): Promise<KubeObject> => {
        if (exists(obj)) {
          return Promise.reject(new KubeApiError(409, 'AlreadyExists', 'exists', { method: 'POST', path: '/x' }));
        }
        return Promise.resolve(obj);
      },
    };
    await createAll(cluster, objs, (line) => lines.push(line));
    return lines;
  }

  test('is printed right after install creates VSL default', async () => {
    const lines = await printed(() => false, objects());
    const at = lines.indexOf('VolumeSnapshotLocation/default: created');
    assert.ok(at >= 0, lines.join('\n'));
    assert.equal(lines[at + 1], NO_SNAPSHOTTER_NOTE);
  });

  test('is not printed when VSL default already exists, nor without one', async () => {
    assert.ok(!(await printed((o) => o.kind === 'VolumeSnapshotLocation', objects())).includes(NO_SNAPSHOTTER_NOTE));
    const noVsl = objects().filter((o) => o.kind !== 'VolumeSnapshotLocation');
    assert.ok(!(await printed(() => false, noVsl)).includes(NO_SNAPSHOTTER_NOTE));
  });
});

describe('skiff snapshot-location set', () => {
  test('prints the note that Skiff takes no native snapshots, as create does', async () => {
    const vsl = { apiVersion: 'velero.io/v1', kind: 'VolumeSnapshotLocation', metadata: { name: 'default' } };
    const patches: unknown[] = [];
    mock.method(CliContext.prototype, 'cluster', () => ({
      get: () => Promise.resolve(vsl),
      patch: (...args: unknown[]) => {
        patches.push(args);
        return Promise.resolve(vsl);
      },
    }));
    const lines: string[] = [];
    mock.method(console, 'log', (line: string) => lines.push(line));
    await buildProgram()
      .exitOverride()
      .parseAsync(['snapshot-location', 'set', 'default', '--config', 'region=x'], { from: 'user' });
    assert.equal(patches.length, 1);
    assert.deepEqual(lines, ['Snapshot volume location "default" configured successfully.', NO_SNAPSHOTTER_NOTE]);
  });
});
