/**
 * The server's version, asked through a ServerStatusRequest (reference §1.9): the CLI
 * creates one, the server answers in its status and deletes it a minute later.
 */
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { ServerStatusRequest } from '../../api/requests.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { SkiffError } from '../../util/errors.ts';

/** No server answered in time. */
export class NoServerError extends SkiffError {
  readonly code = 'NoServer';
}

export interface ServerStatusQuery {
  cluster: Cluster;
  namespace: string;
  timeoutMs: number;
  pollMs?: number;
}

/** The answered request's status; a request nobody answered is deleted before the error is thrown. */
export async function askServerStatus(q: ServerStatusQuery): Promise<NonNullable<ServerStatusRequest['status']>> {
  const ref = resourceRef(Kinds.ServerStatusRequest);
  const request: ServerStatusRequest = {
    apiVersion: 'velero.io/v1',
    kind: 'ServerStatusRequest',
    metadata: { generateName: 'skiff-cli-', namespace: q.namespace },
    spec: {},
  };
  const created = await q.cluster.create(ref, request).catch((err: unknown) => {
    throw missingNamespace(err, q.namespace) ?? err;
  });
  const name = created.metadata.name ?? '';
  const deadline = Date.now() + q.timeoutMs;
  for (;;) {
    const live = (await q.cluster.find(ref, name, q.namespace)) as ServerStatusRequest | undefined;
    if (live?.status?.phase === 'Processed') return live.status;
    if (Date.now() >= deadline) {
      await q.cluster.delete(ref, name, q.namespace).catch(() => undefined);
      throw new NoServerError(
        `no Skiff server answered within ${q.timeoutMs / 1000}s: is \`skiff server\` running in namespace ${q.namespace}? (use --client-only for the client version alone, or a longer --timeout)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, q.pollMs ?? 100));
  }
}

/**
 * The API server refuses the request with "namespaces X not found" when Skiff was installed
 * elsewhere (the demo uses skiff-system, the CLI's default is velero): say that, not the raw 404.
 */
function missingNamespace(err: unknown, namespace: string): NoServerError | undefined {
  if (!(err instanceof KubeApiError) || !err.notFound || err.typeNotServed) return undefined;
  if (!/namespaces? "[^"]*" not found/.test(err.apiMessage)) return undefined;
  return new NoServerError(
    `namespace ${namespace} does not exist, so no Skiff server runs there: pass the namespace Skiff was installed in with -n (e.g. -n skiff-system), or set VELERO_NAMESPACE`,
    { cause: err },
  );
}
