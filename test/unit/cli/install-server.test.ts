import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { leastPrivilegeClusterRules, serverNamespaceRules } from '../../../src/cli/install/rbac.ts';
import { uninstallTargets } from '../../../src/cli/install/uninstall.ts';
import { deploymentAvailable } from '../../../src/cli/install/wait-available.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { isTenantInstallObject } from '../../../src/tenant/install.ts';

const BASE = { provider: 'aws', bucket: 'b', secretFileContents: Buffer.from('[default]\n') };

function kinds(objects: KubeObject[]): string[] {
  return objects
    .filter((o) => o.kind !== 'CustomResourceDefinition' && !isTenantInstallObject(o))
    .map((o) => `${o.kind}/${o.metadata.name ?? ''}`);
}

interface Container {
  image: string;
  command: string[];
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { serviceAccountName: string; containers: Container[]; volumes: { name: string }[] };
}

function deployment(objects: KubeObject[]): { template: PodTemplate; container: Container } {
  const d = objects.find((o) => o.kind === 'Deployment');
  assert.ok(d, 'no Deployment');
  const template = (d.spec as { template: PodTemplate }).template;
  const container = template.spec.containers[0];
  assert.ok(container);
  return { template, container };
}

describe('skiff install: server objects', () => {
  test('the Deployment runs `skiff server` with Velero’s defaults, credentials and namespace from the downward API', () => {
    const { objects, problems } = installObjects('velero', BASE);
    assert.deepEqual(problems, []);
    const { template, container } = deployment(objects);
    assert.equal(container.image, 'skiff/skiff:0.1.0');
    assert.equal(container.args[0], 'server');
    assert.deepEqual(container.resources, {
      requests: { cpu: '500m', memory: '128Mi' },
      limits: { cpu: '1000m', memory: '512Mi' },
    });
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.AWS_SHARED_CREDENTIALS_FILE, '/credentials/cloud');
    assert.deepEqual(env.VELERO_NAMESPACE, { fieldRef: { fieldPath: 'metadata.namespace' } });
    assert.ok(container.volumeMounts.some((m) => m.name === 'cloud-credentials' && m.mountPath === '/credentials'));
    assert.equal(template.spec.serviceAccountName, 'velero');
    assert.equal(template.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.equal(template.metadata.annotations['prometheus.io/port'], '8085');
    assert.equal(template.metadata.annotations['prometheus.io/path'], '/metrics');
  });

  test('--image, resources (0 = unset), pod annotations and labels, server args reach the pod', () => {
    const { objects, problems } = installObjects('velero', {
      ...BASE,
      image: 'registry.example.com/skiff:dev',
      veleroPodCpuRequest: '250m',
      veleroPodMemRequest: '64Mi',
      veleroPodCpuLimit: '0',
      veleroPodMemLimit: '1Gi',
      podAnnotations: ['team=storage'],
      podLabels: ['tier=ops'],
      serverArg: ['--log-level=debug'],
    });
    assert.deepEqual(problems, []);
    const { template, container } = deployment(objects);
    assert.equal(container.image, 'registry.example.com/skiff:dev');
    assert.deepEqual(container.resources, { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '1Gi' } });
    assert.equal(template.metadata.annotations.team, 'storage');
    assert.equal(template.metadata.labels.tier, 'ops');
    assert.equal(template.metadata.labels.deploy, 'velero');
    assert.ok(container.args.includes('--log-level=debug'));
  });

  test('--no-secret: no credentials mount or environment', () => {
    const { objects } = installObjects('velero', { provider: 'aws', bucket: 'b', secret: false });
    const { template, container } = deployment(objects);
    assert.ok(!container.env.some((e) => e.name === 'AWS_SHARED_CREDENTIALS_FILE'));
    assert.ok(!template.spec.volumes.some((v) => v.name === 'cloud-credentials'));
  });

  test('--rbac least-privilege: a ClusterRole, its binding, and a Role in the namespace, before the Deployment', () => {
    const { objects, problems } = installObjects('skiff', { ...BASE, rbac: 'least-privilege' });
    assert.deepEqual(problems, []);
    assert.deepEqual(kinds(objects), [
      'Namespace/skiff',
      'ServiceAccount/velero',
      'ClusterRole/velero-skiff',
      'ClusterRoleBinding/velero-skiff',
      'Role/velero-server',
      'RoleBinding/velero-server',
      'Secret/cloud-credentials',
      'BackupStorageLocation/default',
      'VolumeSnapshotLocation/default',
      'Deployment/velero',
    ]);
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding') as KubeObject & { roleRef: { name: string } };
    assert.equal(binding.roleRef.name, 'velero-skiff');
  });

  test('the least-privilege rules delete only CSI snapshots outside the server namespace and change only Skiff’s CRDs', () => {
    const rules = leastPrivilegeClusterRules();
    assert.ok(rules.every((r) => !r.verbs.includes('*')));
    const deleting = rules.filter((r) => r.verbs.includes('delete'));
    assert.deepEqual(
      deleting.map((r) => [r.apiGroups, r.resources]),
      [[['snapshot.storage.k8s.io'], ['volumesnapshots', 'volumesnapshotcontents']]],
    );
    assert.ok(
      rules.every(
        (r) => !r.verbs.includes('escalate') && !r.verbs.includes('bind') && !r.verbs.includes('impersonate'),
      ),
    );
    const crdWrites = rules.filter(
      (r) => r.resources.includes('customresourcedefinitions') && r.verbs.includes('update'),
    );
    assert.equal(crdWrites.length, 1);
    assert.ok(crdWrites[0]?.resourceNames?.every((n) => n.endsWith('.velero.io') || n.endsWith('.tenant.skiff.dev')));
    assert.ok(
      serverNamespaceRules().some((r) => r.apiGroups.includes('coordination.k8s.io') && r.verbs.includes('update')),
    );
  });

  test('the default binds cluster-admin as Velero; --service-account-name creates no account and no RBAC', () => {
    const admin = installObjects('velero', BASE).objects.find((o) => o.kind === 'ClusterRoleBinding') as KubeObject & {
      roleRef: { name: string };
    };
    assert.equal(admin.metadata.name, 'velero');
    assert.equal(admin.roleRef.name, 'cluster-admin');
    const { objects, problems } = installObjects('velero', { ...BASE, serviceAccountName: 'backup-bot' });
    assert.deepEqual(problems, []);
    // The server gets no account or RBAC; the tenant ClusterRoles an admin binds for users still come.
    assert.ok(!objects.some((o) => /ServiceAccount|Role/.test(o.kind) && !isTenantInstallObject(o)));
    assert.equal(deployment(objects).template.spec.serviceAccountName, 'backup-bot');
  });

  test('--no-server leaves out the ServiceAccount, RBAC and Deployment, and refuses the flags that shape them', () => {
    const { objects, problems } = installObjects('velero', { ...BASE, server: false });
    assert.deepEqual(problems, []);
    assert.deepEqual(kinds(objects), [
      'Namespace/velero',
      'Secret/cloud-credentials',
      'BackupStorageLocation/default',
      'VolumeSnapshotLocation/default',
    ]);
    const refused = installObjects('velero', { ...BASE, server: false, image: 'x', rbac: 'least-privilege' }).problems;
    assert.ok(refused.some((p) => p.includes('--image, --rbac') && p.includes('--no-server')));
  });

  test('bad values are all reported, each naming its flag', () => {
    const { problems } = installObjects('velero', {
      ...BASE,
      rbac: 'admin',
      veleroPodCpuRequest: 'lots',
      podLabels: ['bad key=x'],
      podAnnotations: ['novalue'],
    });
    assert.ok(problems.some((p) => p.includes('--rbac') && p.includes('"admin"')));
    assert.ok(problems.some((p) => p.includes('--velero-pod-cpu-request') && p.includes('"lots"')));
    assert.ok(problems.some((p) => p.includes('--pod-labels')));
    assert.ok(problems.some((p) => p.includes('--pod-annotations')));
    const sa = installObjects('velero', { ...BASE, serviceAccountName: 'x', rbac: 'least-privilege' }).problems;
    assert.ok(sa.some((p) => p.includes('--rbac') && p.includes('--service-account-name')));
  });
});

describe('skiff uninstall targets', () => {
  test('the Deployment first, then cluster RBAC, the view APIService, the namespace, and the CRDs unless kept', () => {
    const all = uninstallTargets('skiff', {});
    assert.deepEqual(
      all.slice(0, 6).map((t) => `${t.kind}/${t.name}`),
      [
        'Deployment/velero',
        'ClusterRoleBinding/velero-skiff',
        'ClusterRole/velero-skiff',
        'APIService/v1alpha1.view.skiff.dev',
        'RoleBinding/skiff-view-api-auth-reader-skiff',
        'Namespace/skiff',
      ],
    );
    assert.equal(all.filter((t) => t.kind === 'CustomResourceDefinition').length, 13 + 7); // velero.io + tenant.skiff.dev
    assert.ok(!uninstallTargets('skiff', { keepCrds: true }).some((t) => t.kind === 'CustomResourceDefinition'));
    assert.equal(uninstallTargets('velero', {})[1]?.name, 'velero');
  });
});

describe('install --wait', () => {
  test('the Deployment counts as available only when its controller has seen the latest spec and says so', () => {
    const d = (observedGeneration: number, available: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'velero', generation: 2 },
      status: { observedGeneration, conditions: [{ type: 'Available', status: available }] },
    });
    assert.equal(deploymentAvailable(d(2, 'True')), true);
    assert.equal(deploymentAvailable(d(1, 'True')), false, 'an older generation');
    assert.equal(deploymentAvailable(d(2, 'False')), false);
    assert.equal(deploymentAvailable(undefined), false);
  });
});
