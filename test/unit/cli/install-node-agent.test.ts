import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installObjects } from '../../../src/cli/install/manifests.ts';

const BASE = {
  provider: 'aws',
  bucket: 'b',
  secretFileContents: Buffer.from('[default]\n'),
  useVolumeSnapshots: 'false',
};

interface DaemonSetLike {
  metadata: { name: string; namespace: string };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        securityContext: { runAsUser: number };
        containers: {
          args: string[];
          env: { name: string; value?: string }[];
          volumeMounts: { name: string; mountPath: string; mountPropagation?: string }[];
        }[];
        volumes: { name: string; hostPath?: { path: string } }[];
      };
    };
  };
}

test('--use-node-agent adds DaemonSet node-agent with Velero’s labels and host mounts (§6.1)', () => {
  const { objects, problems } = installObjects('velero', { ...BASE, useNodeAgent: true });
  assert.deepEqual(problems, []);
  const ds = objects.find((o) => o.kind === 'DaemonSet') as unknown as DaemonSetLike | undefined;
  assert.ok(ds);
  assert.equal(ds.metadata.name, 'node-agent');
  assert.deepEqual(ds.spec.selector.matchLabels, { name: 'node-agent' });
  assert.equal(ds.spec.template.metadata.labels.role, 'node-agent');
  const pod = ds.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'velero');
  assert.equal(pod.securityContext.runAsUser, 0);
  const container = pod.containers[0];
  assert.ok(container);
  assert.equal(container.args[0], 'node-agent');
  assert.ok(container.args.includes('--kubelet-pods-dir=/host_pods'));
  assert.deepEqual(
    container.volumeMounts.filter((m) => m.mountPropagation).map((m) => [m.mountPath, m.mountPropagation]),
    [
      ['/host_pods', 'HostToContainer'],
      ['/var/lib/kubelet/plugins', 'HostToContainer'],
    ],
  );
  assert.deepEqual(
    pod.volumes.filter((v) => v.hostPath).map((v) => v.hostPath?.path),
    ['/var/lib/kubelet/pods', '/var/lib/kubelet/plugins'],
  );
  assert.ok(container.env.some((e) => e.name === 'NODE_NAME'));
  assert.ok(container.env.some((e) => e.name === 'AWS_SHARED_CREDENTIALS_FILE'));
  assert.equal(
    installObjects('velero', BASE).objects.filter((o) => o.kind === 'DaemonSet').length,
    0,
    'only on request',
  );
});

test('--uploader-type goes to the server; a wrong one, or either flag with --no-server, is refused', () => {
  const { objects } = installObjects('velero', { ...BASE, uploaderType: 'restic' });
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const args = (deployment?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
    .containers[0]?.args;
  assert.ok(args?.includes('--uploader-type=restic'));
  assert.deepEqual(installObjects('velero', { ...BASE, uploaderType: 'rsync' }).problems, [
    '--uploader-type "rsync" is not one of kopia, restic',
  ]);
  assert.match(
    installObjects('velero', { ...BASE, server: false, useNodeAgent: true }).problems.join('\n'),
    /--use-node-agent configure the server Deployment/,
  );
});

test("Velero's node-agent and priority-class install flags shape the DaemonSet and the Deployment", () => {
  const { objects, problems } = installObjects('velero', {
    ...BASE,
    useNodeAgent: true,
    nodeAgentPodCpuRequest: '100m',
    nodeAgentPodMemLimit: '1Gi',
    privilegedNodeAgent: true,
    kubeletRootDir: '/var/lib/k0s/kubelet/',
    nodeAgentPriorityClassName: 'node-critical',
    serverPriorityClassName: 'backup-critical',
  });
  assert.deepEqual(problems, []);
  const pod = (kind: string) =>
    (objects.find((o) => o.kind === kind)?.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  const agent = pod('DaemonSet') as {
    priorityClassName?: string;
    containers: { resources?: unknown; securityContext?: unknown }[];
    volumes: { name: string; hostPath?: { path: string } }[];
  };
  assert.equal(agent.priorityClassName, 'node-critical');
  assert.deepEqual(agent.containers[0]?.resources, { requests: { cpu: '100m' }, limits: { memory: '1Gi' } });
  assert.deepEqual(agent.containers[0]?.securityContext, { privileged: true });
  assert.deepEqual(
    agent.volumes.filter((v) => v.hostPath).map((v) => v.hostPath?.path),
    ['/var/lib/k0s/kubelet/pods', '/var/lib/k0s/kubelet/plugins'],
  );
  assert.equal(pod('Deployment').priorityClassName, 'backup-critical');
});

test('without those flags the node agent stays BestEffort and unprivileged, as Velero’s', () => {
  const { objects } = installObjects('velero', { ...BASE, useNodeAgent: true });
  const agent = (objects.find((o) => o.kind === 'DaemonSet')?.spec as { template: { spec: { containers: object[] } } })
    .template.spec;
  assert.deepEqual(
    Object.keys(agent.containers[0] ?? {}).filter((k) => k === 'resources' || k === 'securityContext'),
    [],
  );
  assert.equal('priorityClassName' in agent, false);
});

test('node-agent flags without --use-node-agent, a relative kubelet dir and a bad quantity are refused, each named', () => {
  assert.deepEqual(installObjects('velero', { ...BASE, privilegedNodeAgent: true, kubeletRootDir: '/k' }).problems, [
    '--privileged-node-agent, --kubelet-root-dir configure the node-agent DaemonSet, which --use-node-agent adds: add it or drop them',
  ]);
  assert.deepEqual(
    installObjects('velero', {
      ...BASE,
      useNodeAgent: true,
      kubeletRootDir: 'var/lib/kubelet',
      nodeAgentPodMemLimit: '1 GB',
    }).problems,
    [
      '--kubelet-root-dir: "var/lib/kubelet" is not an absolute path',
      '--node-agent-pod-mem-limit: "1 GB" is not a Kubernetes quantity (e.g. 500m, 128Mi; 0 for none)',
    ],
  );
});
