import { mapNamespace } from '../../selection/index.ts';
import { asArray, asRecord, jsonPointer, type FieldRewrite, type RestoreItemAction } from './types.ts';

export const BACKEND_NAMESPACE_ACTION = 'skiff.io/backend-service-namespace';

/**
 * `skiff.io/backend-service-namespace` (Skiff's own; Velero leaves these fields alone): a
 * webhook's `clientConfig.service.namespace` and an APIService's `spec.service.namespace`
 * follow `namespaceMapping`, as role-binding subjects do (reference §4.6). The backend Service
 * is restored into the mapped namespace; a webhook left pointing at the source namespace would
 * call a Service that is not there. Each rewrite is shown in the dry run.
 */
export const backendNamespaceAction: RestoreItemAction = {
  name: BACKEND_NAMESPACE_ACTION,
  appliesTo: [
    'apiservices.apiregistration.k8s.io',
    'mutatingwebhookconfigurations.admissionregistration.k8s.io',
    'validatingwebhookconfigurations.admissionregistration.k8s.io',
  ],
  execute({ item, env }) {
    const services =
      item.kind === 'APIService'
        ? [{ service: asRecord(asRecord(item.spec)?.service), path: ['spec', 'service', 'namespace'] }]
        : asArray(item.webhooks).map((w, i) => ({
            service: asRecord(asRecord(asRecord(w)?.clientConfig)?.service),
            path: ['webhooks', String(i), 'clientConfig', 'service', 'namespace'],
          }));
    const rewrites: FieldRewrite[] = [];
    for (const { service, path } of services) {
      const from = service?.namespace;
      if (!service || typeof from !== 'string' || from === '') continue;
      const to = mapNamespace(env, from);
      if (to === from) continue;
      service.namespace = to;
      rewrites.push({ action: BACKEND_NAMESPACE_ACTION, path: jsonPointer(path), from, to });
    }
    return rewrites.length > 0 ? { item, rewrites } : { item };
  },
};
