import type { KubeObject } from '../../kube/object.ts';
import { asArray, asRecord, getPath, type RestoreItemAction } from './types.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * `velero.io/service` (reference §4.6): cluster IPs are allocated by the target cluster, so
 * they are cleared unless the service is headless. Node ports are cleared too, unless
 * `preserveNodePorts` or the user set them explicitly (seen in the last-applied annotation,
 * else in managedFields). ExternalName services are left alone.
 */
export const serviceAction: RestoreItemAction = {
  name: 'velero.io/service',
  appliesTo: ['services'],
  execute({ item, original, env }) {
    const spec = asRecord(item.spec);
    if (!spec || spec.type === 'ExternalName') return { item };
    if (spec.clusterIP !== 'None') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (env.preserveNodePorts) return { item };
    const explicit = explicitNodePorts(original);
    for (const p of asArray(spec.ports)) {
      const port = asRecord(p);
      if (port && port.nodePort !== undefined && !isExplicit(port, explicit)) delete port.nodePort;
    }
    const healthCheck =
      spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && !explicit.healthCheckNodePort;
    if (healthCheck) delete spec.healthCheckNodePort;
    return { item };
  },
};

interface ExplicitPorts {
  names: Set<string>;
  /** `port/protocol` pairs, e.g. `80/TCP`. */
  ports: Set<string>;
  healthCheckNodePort: boolean;
}

function isExplicit(port: Record<string, unknown>, explicit: ExplicitPorts): boolean {
  if (typeof port.name === 'string' && port.name !== '' && explicit.names.has(port.name)) return true;
  const protocol = typeof port.protocol === 'string' ? port.protocol : 'TCP';
  return explicit.ports.has(`${String(port.port)}/${protocol}`) || explicit.ports.has(`${String(port.port)}/*`);
}

/** Which node ports the user wrote: last-applied wins; otherwise any managedFields entry that owns them. */
export function explicitNodePorts(obj: KubeObject): ExplicitPorts {
  const out: ExplicitPorts = { names: new Set(), ports: new Set(), healthCheckNodePort: false };
  const lastApplied = obj.metadata.annotations?.[LAST_APPLIED];
  if (lastApplied !== undefined) {
    fromLastApplied(lastApplied, out);
    return out;
  }
  for (const mf of asArray(obj.metadata.managedFields)) fromManagedFields(getPath(mf, 'fieldsV1', 'f:spec'), out);
  return out;
}

function fromLastApplied(text: string, out: ExplicitPorts): void {
  let applied: unknown;
  try {
    applied = JSON.parse(text);
  } catch {
    return;
  }
  if (getPath(applied, 'spec', 'healthCheckNodePort') !== undefined) out.healthCheckNodePort = true;
  for (const p of asArray(getPath(applied, 'spec', 'ports'))) {
    const port = asRecord(p);
    if (port?.nodePort === undefined) continue;
    // Named ports are matched by name, unnamed ones by value (reference §4.6).
    if (typeof port.name === 'string' && port.name !== '') out.names.add(port.name);
    else out.ports.add(`${String(port.port)}/*`);
  }
}

function fromManagedFields(spec: unknown, out: ExplicitPorts): void {
  const fields = asRecord(spec);
  if (!fields) return;
  if (fields['f:healthCheckNodePort'] !== undefined) out.healthCheckNodePort = true;
  for (const [key, value] of Object.entries(asRecord(fields['f:ports']) ?? {})) {
    if (!key.startsWith('k:') || asRecord(value)?.['f:nodePort'] === undefined) continue;
    try {
      const k = JSON.parse(key.slice(2)) as { port?: number; protocol?: string };
      out.ports.add(`${String(k.port)}/${k.protocol ?? 'TCP'}`);
    } catch {
      // A key we cannot read only means the port is not known to be explicit.
    }
  }
}
