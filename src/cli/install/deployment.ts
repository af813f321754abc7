/**
 * The server Deployment `skiff install` creates (reference §8.5 item 7, credentials §5.7),
 * and its ServiceAccount. Built without touching the cluster.
 */
import { Names } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';

/** The image `skiff install` deploys unless `--image` names another (see Dockerfile). */
export const DEFAULT_IMAGE = 'skiff/skiff:0.1.0';

/** Velero's defaults for the server pod (reference §8.5). */
export const DEFAULT_RESOURCES = { cpuRequest: '500m', memRequest: '128Mi', cpuLimit: '1000m', memLimit: '512Mi' };

/** The port of `--metrics-address` (default `:8085`): /metrics, /healthz, /readyz. */
export const METRICS_PORT = 8085;

/** Where the image keeps the CLI (see Dockerfile). */
export const IMAGE_COMMAND = ['/usr/local/bin/skiff'];

export interface DeploymentSettings {
  image: string;
  serviceAccount: string;
  /** `cpu`/`memory` requests and limits; a quantity of `0` leaves that one unset (unbounded). */
  resources: { cpuRequest: string; memRequest: string; cpuLimit: string; memLimit: string };
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  /** Mount Secret cloud-credentials at /credentials. */
  withCredentials: boolean;
  /** Extra arguments after `server`. */
  serverArgs: string[];
  /** `--server-priority-class-name`. */
  priorityClassName?: string | undefined;
}

/** Requests and limits of a container; a quantity of `0` or `""` leaves that one unset (unbounded). */
export type PodResources = DeploymentSettings['resources'];

export function serviceAccountObject(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name,
      namespace,
      labels: { ...labels },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
  };
}

function quantities(pairs: Record<string, string>): Record<string, string> | undefined {
  const set = Object.entries(pairs).filter(([, v]) => v !== '' && v !== '0');
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/** A container's `resources`, from the quantities that are set. */
export function containerResources(r: PodResources): {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
} {
  const requests = quantities({ cpu: r.cpuRequest, memory: r.memRequest });
  const limits = quantities({ cpu: r.cpuLimit, memory: r.memLimit });
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

export function serverDeployment(namespace: string, s: DeploymentSettings, labels: Record<string, string>): KubeObject {
  const selector = { deploy: Names.Deployment };
  const credentialsFile = '/credentials/cloud';
  const env: unknown[] = [
    // Velero's scratch volume; Skiff's temporary files (restore spill, operation logs) go to os.tmpdir().
    { name: 'TMPDIR', value: '/scratch' },
    { name: 'VELERO_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ...(s.withCredentials
      ? [
          'GOOGLE_APPLICATION_CREDENTIALS',
          'AWS_SHARED_CREDENTIALS_FILE',
          'AZURE_CREDENTIALS_FILE',
          'ALIBABA_CLOUD_CREDENTIALS_FILE',
        ].map((name) => ({ name, value: credentialsFile }))
      : []),
  ];
  const probe = (path: string, initialDelaySeconds: number): unknown => ({
    httpGet: { path, port: 'metrics' },
    initialDelaySeconds,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 6,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: Names.Deployment, namespace, labels: { ...labels } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...s.podLabels, ...labels, ...selector },
          annotations: {
            ...s.podAnnotations,
            // Velero's scrape annotations (reference §8.5 item 7).
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(METRICS_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: s.serviceAccount,
          ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          // Meets the `restricted` Pod Security Standard, should the namespace enforce it.
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // Velero keeps its server off Windows nodes; the image is Linux-only too.
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] }] },
                ],
              },
            },
          },
          containers: [
            {
              name: Names.Container,
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              command: IMAGE_COMMAND,
              // All interfaces: the kubelet probes the pod's IP, not its loopback.
              args: ['server', `--metrics-address=0.0.0.0:${METRICS_PORT}`, ...s.serverArgs],
              ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
              env,
              resources: containerResources(s.resources),
              livenessProbe: probe('/healthz', 10),
              readinessProbe: probe('/readyz', 5),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'scratch', mountPath: '/scratch' },
                ...(s.withCredentials ? [{ name: 'cloud-credentials', mountPath: '/credentials' }] : []),
              ],
            },
          ],
          volumes: [
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
