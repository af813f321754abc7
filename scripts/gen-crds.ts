/**
 * Writes the velero.io CRDs to config/crds/velero.io.yaml.
 * Run: node --import tsx scripts/gen-crds.ts
 * The output is generated; test/unit/api/crds.test.ts fails when it drifts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdsYaml } from '../src/api/crds-yaml.ts';

const target = fileURLToPath(new URL('../config/crds/velero.io.yaml', import.meta.url));
writeFileSync(target, renderCrdsYaml());
console.log(`wrote ${target}`);
