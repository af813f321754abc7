import { asArray, asRecord, type RestoreItemAction } from './types.ts';

/**
 * `velero.io/crd-preserve-fields` (reference §4.6): apiextensions v1 rejects
 * `preserveUnknownFields: true`; the equivalent is the per-schema extension.
 */
export const crdPreserveFieldsAction: RestoreItemAction = {
  name: 'velero.io/crd-preserve-fields',
  appliesTo: ['customresourcedefinitions.apiextensions.k8s.io'],
  execute({ item }) {
    const spec = asRecord(item.spec);
    if (item.apiVersion !== 'apiextensions.k8s.io/v1' || spec?.preserveUnknownFields !== true) return { item };
    spec.preserveUnknownFields = false;
    for (const v of asArray(spec.versions)) {
      const schema = asRecord(asRecord(asRecord(v)?.schema)?.openAPIV3Schema);
      if (schema) schema['x-kubernetes-preserve-unknown-fields'] = true;
    }
    return { item };
  },
};

/** `velero.io/apiservice` (reference §4.6): automanaged APIServices are recreated by the aggregator. */
export const apiServiceAction: RestoreItemAction = {
  name: 'velero.io/apiservice',
  appliesTo: ['apiservices.apiregistration.k8s.io'],
  execute({ item }) {
    if (item.metadata.labels?.['kube-aggregator.kubernetes.io/automanaged'] !== undefined) {
      return { item, skip: 'automanaged APIServices are recreated by the API aggregator' };
    }
    return { item };
  },
};

const SAFE_SIDE_EFFECTS = new Set(['None', 'NoneOnDryRun']);

/** `velero.io/admission-webhook-configuration` (reference §4.6): v1 only accepts None/NoneOnDryRun. */
export const webhookConfigurationAction: RestoreItemAction = {
  name: 'velero.io/admission-webhook-configuration',
  appliesTo: [
    'mutatingwebhookconfigurations.admissionregistration.k8s.io',
    'validatingwebhookconfigurations.admissionregistration.k8s.io',
  ],
  execute({ item }) {
    if (item.apiVersion !== 'admissionregistration.k8s.io/v1') return { item };
    for (const w of asArray(item.webhooks)) {
      const hook = asRecord(w);
      if (hook && !SAFE_SIDE_EFFECTS.has(String(hook.sideEffects))) hook.sideEffects = 'None';
    }
    return { item };
  },
};
