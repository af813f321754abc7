/**
 * Writes the velero.io CRDs to config/crds/velero.io.yaml and to the Helm chart's crds/ folder.
 * Run: node --import tsx scripts/gen-crds.ts
 * The output is generated; test/unit/api/crds.test.ts fails when it drifts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdsYaml } from '../src/api/crds-yaml.ts';

for (const path of ['../config/crds/velero.io.yaml', '../charts/skiff/crds/velero.io.yaml']) {
  const target = fileURLToPath(new URL(path, import.meta.url));
  writeFileSync(target, renderCrdsYaml());
  console.log(`wrote ${target}`);
}
