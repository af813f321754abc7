/**
 * `skiff tenant backup logs NAME`, `skiff tenant restore logs NAME`, and the details that
 * `skiff tenant ... describe --details` shows: read through the API server from the
 * view.skiff.dev aggregated API, so a tenant needs nothing but `get` on the subresource in
 * its own namespace (no bucket access, no presigned URL, no velero.io rights).
 *
 * The tenant-cli commands wire these in with `addTenantViewCommands(backupCmd, restoreCmd)`.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Cluster } from '../../kube/cluster.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { isRecord } from '../../kube/object.ts';
import { VIEW_GROUP, VIEW_GROUP_VERSION, type ViewResource, type ViewSubresource } from '../../tenant/view/api.ts';
import { detailLines, parseResourceList, parseResultsFile } from '../backup/describe-format.ts';
import { CliContext } from '../context.ts';
import { FlagError } from '../errors.ts';

/** Which namespace a tenant command acts in. */
export type TenantNamespaceOf = (cmd: CommandUnknownOpts, ctx: CliContext) => string;

/** `-n/--namespace` when given, else the kubeconfig context's namespace, else `default` (as kubectl). */
export const defaultTenantNamespace: TenantNamespaceOf = (_cmd, ctx) => {
  if (ctx.flags.namespace) return ctx.flags.namespace;
  const kc = ctx.cluster().client.kubeConfig;
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
};

function viewPath(resource: ViewResource, namespace: string, name: string, sub: ViewSubresource): string {
  const seg = encodeURIComponent;
  return `/apis/${VIEW_GROUP_VERSION}/namespaces/${seg(namespace)}/${resource}/${seg(name)}/${sub}`;
}

/** The API server's refusal, said as what to ask the namespace's admin for. */
export function viewErrorMessage(
  err: unknown,
  resource: ViewResource,
  sub: ViewSubresource,
  namespace: string,
): string {
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  if (err.status === 403)
    return `you need get on ${resource}/${sub} in ${VIEW_GROUP} in namespace ${namespace} (the skiff-tenant-view, -edit and -admin roles have it): ${err.apiMessage}`;
  if (err.status === 401) return `the API server did not accept your credentials: ${err.apiMessage}`;
  if (err.status === 404 && err.typeNotServed)
    return `the API server does not serve ${VIEW_GROUP_VERSION}: an admin installs it with 'skiff install --view-api' (or the chart's viewApi.enabled)`;
  if (err.status === 503)
    return `the ${VIEW_GROUP} API (skiff server) is not reachable through the API server right now: ${err.apiMessage}`;
  return err.apiMessage || err.message;
}

async function getView(
  cluster: Cluster,
  resource: ViewResource,
  namespace: string,
  name: string,
  sub: ViewSubresource,
): Promise<Buffer> {
  try {
    return await cluster.client.requestBytes({
      method: 'GET',
      path: viewPath(resource, namespace, name, sub),
      accept: sub === 'log' ? 'text/plain' : 'application/json',
    });
  } catch (err) {
    throw new FlagError([viewErrorMessage(err, resource, sub, namespace)]);
  }
}

/** The log as it streams from the API server: a long log is never held whole. */
async function openLog(cluster: Cluster, resource: ViewResource, namespace: string, name: string): Promise<Readable> {
  const res = await cluster.client
    .send({ method: 'GET', path: viewPath(resource, namespace, name, 'log'), accept: 'text/plain' })
    .catch((err: unknown) => {
      throw new FlagError([viewErrorMessage(err, resource, 'log', namespace)]);
    });
  return Readable.from(res.body ?? [], { objectMode: false });
}

/** What the details endpoint answers, as `describe --details` prints it. */
export interface TenantDetails {
  phase: string;
  resourceList: Record<string, string[]> | string;
  results: ReturnType<typeof parseResultsFile> | string;
  volumes: string[];
}

const NOT_STORED = 'not stored (yet): written when the operation finishes';

export function parseTenantDetails(body: unknown): TenantDetails {
  const d = isRecord(body) ? body : {};
  const volumes = Array.isArray(d.volumeInfo) ? d.volumeInfo.filter(isRecord) : [];
  return {
    phase: typeof d.phase === 'string' ? d.phase : '',
    resourceList: d.resourceList ? parseResourceList(JSON.stringify(d.resourceList)) : NOT_STORED,
    results: d.results ? parseResultsFile(JSON.stringify(d.results)) : NOT_STORED,
    volumes: volumes.map((v) => {
      const text = (x: unknown): string => (typeof x === 'string' ? x : '');
      const method = text(v.backupMethod) || text(v.volumeName) || 'unknown';
      return `${text(v.pvcNamespace)}/${text(v.pvcName)}: ${method}`;
    }),
  };
}

/** The details of a TenantBackup or TenantRestore, through the view API. */
export async function fetchTenantDetails(
  cluster: Cluster,
  resource: ViewResource,
  namespace: string,
  name: string,
): Promise<TenantDetails> {
  const body = await getView(cluster, resource, namespace, name, 'details');
  return parseTenantDetails(JSON.parse(body.toString('utf8')) as unknown);
}

/** The `--details` part of describe: resource list, errors and warnings, volumes. */
export function tenantDetailsLines(details: TenantDetails): string[] {
  const volumes = details.volumes.length > 0 ? details.volumes.map((v) => `  - ${v}`) : ['  <none>'];
  return [...detailLines(details), '', 'Volumes:', ...volumes];
}

function logsCommand(kind: 'backup' | 'restore', namespaceOf: TenantNamespaceOf, out: NodeJS.WritableStream) {
  const resource: ViewResource = kind === 'backup' ? 'tenantbackups' : 'tenantrestores';
  const object = kind === 'backup' ? 'TenantBackup' : 'TenantRestore';
  return new Command('logs')
    .description(
      `Print the log of a ${object} of your namespace (through the API server; needs get on ${resource}/log)`,
    )
    .argument('<name>', `the ${object}`)
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant ${kind} logs nightly -n team-a
  skiff tenant ${kind} logs nightly | grep level=warning
  kubectl get --raw /apis/${VIEW_GROUP_VERSION}/namespaces/team-a/${resource}/nightly/log   # the same`,
    )
    .action(async (name, _flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const namespace = namespaceOf(cmd, ctx);
      const log = await openLog(ctx.cluster(), resource, namespace, name);
      // end: false keeps stdout open; a closed stdout (e.g. `| head`) just stops the copy.
      await pipeline(log, out, { end: false });
    });
}

/** `skiff tenant backup logs NAME`. */
export function tenantBackupLogsCommand(
  namespaceOf: TenantNamespaceOf = defaultTenantNamespace,
  out: NodeJS.WritableStream = process.stdout,
) {
  return logsCommand('backup', namespaceOf, out);
}

/** `skiff tenant restore logs NAME`. */
export function tenantRestoreLogsCommand(
  namespaceOf: TenantNamespaceOf = defaultTenantNamespace,
  out: NodeJS.WritableStream = process.stdout,
) {
  return logsCommand('restore', namespaceOf, out);
}

/** Adds `logs` under `skiff tenant backup` and `skiff tenant restore` (`out`: where logs go, stdout). */
export function addTenantViewCommands(
  backupCmd: CommandUnknownOpts,
  restoreCmd: CommandUnknownOpts,
  namespaceOf: TenantNamespaceOf = defaultTenantNamespace,
  out: NodeJS.WritableStream = process.stdout,
): void {
  backupCmd.addCommand(tenantBackupLogsCommand(namespaceOf, out));
  restoreCmd.addCommand(tenantRestoreLogsCommand(namespaceOf, out));
}
