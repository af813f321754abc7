/**
 * The node-agent DaemonSet `skiff install --use-node-agent` creates (reference §6.1): pods
 * labelled `name=node-agent` and `role=node-agent` on every Linux node, running as root, with the
 * kubelet's pods folder mounted at `/host_pods` and its plugins folder at
 * `/var/lib/kubelet/plugins`, both with HostToContainer propagation.
 */
import { Names } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { containerResources, IMAGE_COMMAND, type PodResources } from './deployment.ts';

export interface NodeAgentSettings {
  image: string;
  serviceAccount: string;
  /** Mount Secret cloud-credentials at /credentials. */
  withCredentials: boolean;
  /** `--node-agent-pod-*`: none by default (BestEffort), as Velero. */
  resources?: PodResources | undefined;
  /** `--privileged-node-agent`: some volume types (block, some CSI drivers) need it. */
  privileged?: boolean | undefined;
  /** `--kubelet-root-dir`: where the node's kubelet keeps pods and plugins; default /var/lib/kubelet. */
  kubeletRootDir?: string | undefined;
  /** `--node-agent-priority-class-name`. */
  priorityClassName?: string | undefined;
}

export const DEFAULT_KUBELET_ROOT_DIR = '/var/lib/kubelet';

const CREDENTIALS_FILE = '/credentials/cloud';

export function nodeAgentDaemonSet(
  namespace: string,
  s: NodeAgentSettings,
  labels: Record<string, string>,
): KubeObject {
  const selector = { name: Names.NodeAgentDaemonSet };
  const kubelet = (s.kubeletRootDir ?? DEFAULT_KUBELET_ROOT_DIR).replace(/\/+$/, '');
  const resources = s.resources ? containerResources(s.resources) : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: Names.NodeAgentDaemonSet, namespace, labels: { ...labels } },
    spec: {
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector, role: 'node-agent' } },
        spec: {
          serviceAccountName: s.serviceAccount,
          ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
          // Reading and writing every pod's volume needs root (Velero: runAsUser 0).
          securityContext: { runAsUser: 0 },
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: Names.NodeAgentDaemonSet,
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              command: IMAGE_COMMAND,
              args: ['node-agent', '--host-root=/host_pods', '--kubelet-pods-dir=/host_pods'],
              ...(Object.keys(resources).length > 0 ? { resources } : {}),
              ...(s.privileged ? { securityContext: { privileged: true } } : {}),
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'VELERO_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'VELERO_SCRATCH_DIR', value: '/scratch' },
                ...(s.withCredentials ? [{ name: 'AWS_SHARED_CREDENTIALS_FILE', value: CREDENTIALS_FILE }] : []),
              ],
              volumeMounts: [
                { name: 'host-pods', mountPath: '/host_pods', mountPropagation: 'HostToContainer' },
                { name: 'host-plugins', mountPath: '/var/lib/kubelet/plugins', mountPropagation: 'HostToContainer' },
                { name: 'scratch', mountPath: '/scratch' },
                ...(s.withCredentials ? [{ name: 'cloud-credentials', mountPath: '/credentials' }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'host-pods', hostPath: { path: `${kubelet}/pods` } },
            { name: 'host-plugins', hostPath: { path: `${kubelet}/plugins` } },
            { name: 'scratch', emptyDir: {} },
            ...(s.withCredentials
              ? [{ name: 'cloud-credentials', secret: { secretName: Names.CredentialsSecret } }]
              : []),
          ],
        },
      },
    },
  };
}
