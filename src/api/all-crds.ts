/**
 * Every CRD Skiff installs: velero.io's and its own tenant.skiff.dev ones. Install, uninstall,
 * the server's start-up check and the least-privilege RBAC all read this list.
 */
import type { KubeObject } from '../kube/object.ts';
import { buildTenantCrds } from '../tenant/api/crds.ts';
import { buildCrds } from './crds.ts';

export function buildAllCrds(): KubeObject[] {
  return [...buildCrds(), ...buildTenantCrds()];
}
