export * from './api.ts';
export { startViewApi, type StartedViewApi, type ViewApiOptions } from './start.ts';
export { VIEW_SERVICE_NAME, VIEW_TLS_SECRET, APISERVICES } from './serving-identity.ts';
export { selfSignedServingCert, serviceDnsNames, type ServingCert } from './serving-cert.ts';
export {
  authReaderBindingName,
  viewApiEndpointSlice,
  viewApiInstallObjects,
  viewApiObjects,
  VIEW_API_PORT,
} from './manifests.ts';
