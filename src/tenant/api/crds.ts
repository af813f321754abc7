/**
 * The tenant.skiff.dev CustomResourceDefinitions, built by the same machinery as velero.io's
 * (`src/api/crds.ts`). `scripts/gen-crds.ts` writes them to `config/crds/tenant.skiff.dev.yaml`;
 * `installCrds` (`src/api/install.ts`) applies them with velero.io's.
 */
import { buildCrd } from '../../api/crds.ts';
import type { KubeObject } from '../../kube/object.ts';
import { ALL_TENANT_KINDS } from './kinds.ts';

export function buildTenantCrds(): KubeObject[] {
  return ALL_TENANT_KINDS.map(buildCrd);
}
