/**
 * What `skiff install --dry-run` prints and what the Helm chart renders are accepted by the
 * real API server (`kubectl apply --dry-run=server`), in both RBAC modes, and the chart
 * renders the same objects and the same least-privilege rules as the CLI, the node-agent
 * DaemonSet included (`deployNodeAgent`, `--use-node-agent`).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { installCrds } from '../../../src/api/install.ts';
import { leastPrivilegeClusterRules, serverNamespaceRules } from '../../../src/cli/install/rbac.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { runToolOk } from '../../helpers/env-tools.ts';
import { uniqueName } from '../../helpers/names.ts';
import { ROOT, skiffOk } from '../cli/run-skiff.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const cluster = adminCluster();
const ns = uniqueName('skiff-inst');
const work = tempDir('skiff-install-');
const credentials = join(work, 'credentials');
const CHART = join(ROOT, 'charts', 'skiff');

const LOCATION_FLAGS = [
  ...['--provider', 'aws', '--bucket', 'backups', '--secret-file', credentials],
  ...['--backup-location-config', 'region=minio,s3ForcePathStyle=true,s3Url=http://minio.minio:9000'],
];

/** Objects of a multi-document YAML stream (helm template) or of a v1 List (skiff install -o yaml). */
function objectsOf(yamlText: string): KubeObject[] {
  const docs = parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
  return docs.flatMap((d) => (d.kind === 'List' ? ((d as unknown as { items: KubeObject[] }).items ?? []) : [d]));
}

const names = (objects: KubeObject[]): string[] =>
  objects
    .filter((o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace')
    .map((o) => `${o.kind}/${o.metadata.name ?? ''}`)
    .sort();

/** Each object kubectl reports as configured or created in the server-side dry run. */
async function serverDryRun(yamlText: string): Promise<string> {
  return runToolOk('kubectl', ['apply', '--dry-run=server', '-f', '-'], yamlText);
}

async function helmTemplate(values: Record<string, unknown>): Promise<string> {
  const file = join(work, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  return runToolOk('helm', ['template', 'skiff', CHART, '--namespace', ns, '--include-crds', '-f', file]);
}

const CHART_LOCATION = {
  credentials: { secretContents: { cloud: '[default]\naws_access_key_id=a\naws_secret_access_key=b\n' } },
  backupStorageLocation: {
    bucket: 'backups',
    config: { region: 'minio', s3ForcePathStyle: 'true', s3Url: 'http://minio.minio:9000' },
  },
};

describe('install manifests against the real API server', () => {
  before(async () => {
    writeFileSync(credentials, '[default]\naws_access_key_id=a\naws_secret_access_key=b\n');
    // Server-side dry run creates nothing, so the namespace and the CRDs the namespaced objects need must exist.
    await installCrds(cluster);
    await createNamespace(cluster, ns);
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns);
  });

  for (const rbac of ['cluster-admin', 'least-privilege']) {
    test(`skiff install --dry-run -o yaml (--rbac ${rbac}) passes kubectl apply --dry-run=server`, async () => {
      const out = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--rbac', rbac, '--dry-run', '-o', 'yaml']);
      const objects = objectsOf(out.stdout);
      // Everything, in creation order: CRDs, then the namespace, the account and RBAC, ..., the Deployment last.
      assert.equal(objects[0]?.kind, 'CustomResourceDefinition');
      assert.equal(objects.at(-1)?.kind, 'Deployment');
      const applied = await serverDryRun(out.stdout);
      for (const o of objects) {
        assert.match(
          applied,
          new RegExp(`${o.metadata.name ?? ''} (created|configured|unchanged) \\(server dry run\\)`),
        );
      }
      // JSON is the same list.
      const json = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--rbac', rbac, '--dry-run', '-o', 'json']);
      assert.deepEqual((JSON.parse(json.stdout) as { items: KubeObject[] }).items, objects);
    });
  }

  test('helm template (default values) passes the server dry run and renders what skiff install creates', async () => {
    const rendered = await helmTemplate(CHART_LOCATION);
    const applied = await serverDryRun(rendered);
    assert.match(applied, /deployment\.apps\/velero created \(server dry run\)/);
    const cli = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--dry-run', '-o', 'yaml']);
    assert.deepEqual(names(objectsOf(rendered)), names(objectsOf(cli.stdout)));
  });

  test('helm template with rbac.mode=least-privilege passes, with the same rules as skiff install', async () => {
    const extra = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list'] };
    const rendered = await helmTemplate({
      ...CHART_LOCATION,
      rbac: { mode: 'least-privilege', extraRules: [extra] },
      image: { repository: 'registry.example.com/skiff', tag: 'dev' },
      podAnnotations: { team: 'storage' },
      serverArgs: ['--log-level=debug'],
    });
    await serverDryRun(rendered);
    const objects = objectsOf(rendered);
    const cli = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--rbac', 'least-privilege', '--dry-run']);
    assert.deepEqual(names(objects), names(objectsOf(cli.stdout)));
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole') as KubeObject & { rules: unknown[] };
    assert.deepEqual(clusterRole.rules, [...leastPrivilegeClusterRules(), extra]);
    const role = objects.find((o) => o.kind === 'Role') as KubeObject & { rules: unknown[] };
    assert.deepEqual(role.rules, serverNamespaceRules());
    const deployment = JSON.stringify(objects.find((o) => o.kind === 'Deployment'));
    assert.match(deployment, /registry\.example\.com\/skiff:dev/);
    assert.match(deployment, /"team":"storage"/);
    assert.match(deployment, /--log-level=debug/);
  });

  for (const mode of ['cluster-admin', 'least-privilege']) {
    test(`helm template with viewApi.enabled (rbac ${mode}) renders what skiff install --view-api creates`, async () => {
      const rendered = await helmTemplate({ ...CHART_LOCATION, rbac: { mode }, viewApi: { enabled: true } });
      const applied = await serverDryRun(rendered);
      assert.match(
        applied,
        /apiservice\.apiregistration\.k8s\.io\/v1alpha1\.view\.skiff\.dev created \(server dry run\)/,
      );
      const cli = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--rbac', mode, '--view-api', '--dry-run']);
      const [fromChart, fromCli] = [objectsOf(rendered), objectsOf(cli.stdout)];
      assert.deepEqual(names(fromChart), names(fromCli));
      for (const kind of ['Service', 'APIService']) {
        const spec = (objects: KubeObject[]) => objects.find((o) => o.kind === kind)?.spec;
        assert.deepEqual(spec(fromChart), spec(fromCli), kind);
      }
      for (const objects of [fromChart, fromCli]) {
        assert.match(JSON.stringify(objects.find((o) => o.kind === 'Deployment')), /--view-api-bind-address=:8443/);
      }
    });
  }

  test('helm template with deployNodeAgent renders the DaemonSet of skiff install --use-node-agent, and lints', async () => {
    const daemonSetOf = (objects: KubeObject[]): KubeObject | undefined => objects.find((o) => o.kind === 'DaemonSet');
    const rendered = await helmTemplate({ ...CHART_LOCATION, deployNodeAgent: true });
    const applied = await serverDryRun(rendered);
    assert.match(applied, /daemonset\.apps\/node-agent created \(server dry run\)/);
    const cli = await skiffOk(['install', '-n', ns, ...LOCATION_FLAGS, '--use-node-agent', '--dry-run', '-o', 'yaml']);
    assert.deepEqual(names(objectsOf(rendered)), names(objectsOf(cli.stdout)));
    const fromChart = daemonSetOf(objectsOf(rendered));
    const fromCli = daemonSetOf(objectsOf(cli.stdout));
    assert.ok(fromChart && fromCli);
    // The same pods: selector, labels, account, security, mounts, env and args.
    assert.deepEqual(fromChart.spec, fromCli.spec);

    // Off by default; extra flags, privileged and another kubelet root when asked.
    assert.equal(daemonSetOf(objectsOf(await helmTemplate(CHART_LOCATION))), undefined);
    const tuned = daemonSetOf(
      objectsOf(
        await helmTemplate({
          ...CHART_LOCATION,
          deployNodeAgent: true,
          nodeAgent: { args: ['--uploader-memory-limit=512MiB'], privileged: true, kubeletRootDir: '/data/kubelet' },
        }),
      ),
    ) as unknown as {
      spec: {
        template: {
          spec: {
            containers: { args: string[]; securityContext?: { privileged?: boolean } }[];
            volumes: { hostPath?: { path: string } }[];
          };
        };
      };
    };
    const pod = tuned.spec.template.spec;
    assert.deepEqual(pod.containers[0]?.args, [
      'node-agent',
      '--host-root=/host_pods',
      '--kubelet-pods-dir=/host_pods',
      '--uploader-memory-limit=512MiB',
    ]);
    assert.equal(pod.containers[0]?.securityContext?.privileged, true);
    assert.deepEqual(
      pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : [])),
      ['/data/kubelet/pods', '/data/kubelet/plugins'],
    );
    await runToolOk('helm', [
      'lint',
      CHART,
      '--set',
      'deployNodeAgent=true',
      '--set',
      'backupStorageLocation.bucket=b',
    ]);
  });
});
