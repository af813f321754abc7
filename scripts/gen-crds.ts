/**
 * Writes the velero.io CRDs to config/crds/velero.io.yaml, the tenant.skiff.dev ones to
 * config/crds/tenant.skiff.dev.yaml, and both to the Helm chart's crds/ folder; and what
 * `skiff install` applies beside the tenant CRDs (admission policies, roles) to the chart's
 * templates/tenant.yaml, so a Helm install never has the tenant kinds without their guards.
 * Run: node --import tsx scripts/gen-crds.ts
 * The output is generated; test/unit/api/crds.test.ts and test/unit/tenant/crds.test.ts fail when it drifts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdsYaml } from '../src/api/crds-yaml.ts';
import { buildTenantCrds } from '../src/tenant/api/crds.ts';
import { tenantInstallObjects } from '../src/tenant/install.ts';

const files: [string, string][] = [
  ['velero.io.yaml', renderCrdsYaml()],
  ['tenant.skiff.dev.yaml', renderCrdsYaml(buildTenantCrds())],
];
for (const [name, text] of files) {
  for (const dir of ['../config/crds/', '../charts/skiff/crds/']) {
    const target = fileURLToPath(new URL(dir + name, import.meta.url));
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}

const chartTemplate = fileURLToPath(new URL('../charts/skiff/templates/tenant.yaml', import.meta.url));
writeFileSync(chartTemplate, renderCrdsYaml(tenantInstallObjects()));
console.log(`wrote ${chartTemplate}`);
