import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject, ObjectHead } from '../../kube/object.ts';
import { apiVersionOf, groupResource, type ResourceType } from '../../kube/resource.ts';
import { wholeObject, type ListedObject } from '../../kube/served-list.ts';
import {
  decideBackupItem,
  decideNamespaceObject,
  listedItemDecider,
  type Decision,
  type SelectionItem,
} from '../../selection/index.ts';
import { mergeBounded } from '../../util/async.ts';
import { errorMessage } from '../../util/errors.ts';
import type { BackupActionRegistry } from '../actions/registry.ts';
import type { BackupActionContext, CsiSnapshotter, ItemRef } from '../actions/types.ts';
import type { BackupPlan, ListStep } from '../plan/backup-plan.ts';
import { OrderedEntriesSeen, orderKey } from '../plan/ordered-resources.ts';
import { AppFacts, appReadsSpec, type AppClusterResource } from '../plan/app-cluster-resources.ts';
import { AppResourceFinder } from './app-cluster-resources.ts';
import type { ItemSource } from './item-source.ts';

/**
 * An item is a ServedObject when it is written as listed (no action ran on it): its metadata
 * is parsed, and `objectJson` gives its bytes as served. `wholeObject` parses it.
 */
export type CollectedEvent =
  | {
      kind: 'included';
      type: ResourceType;
      item: ListedObject;
      origin: 'listed' | 'additional';
      /** Set when taken because the application uses it (annotation skiff.io/include-app-cluster-resources). */
      app?: AppClusterResource;
    }
  | { kind: 'excluded'; type: ResourceType; item: ListedObject; reason: string }
  /** A cluster-scoped object Velero's rules leave out although the application uses it (issue 13). */
  | { kind: 'app-left-out'; type: ResourceType; item: KubeObject; found: AppClusterResource }
  | { kind: 'warning' | 'error'; namespace?: string | undefined; message: string };

export interface CollectOptions {
  backupName: string;
  source: ItemSource;
  actions: BackupActionRegistry;
  /** The preferred-version type of a group+resource (for related items). */
  typeOf: (group: string, resource: string) => ResourceType | undefined;
  /** Resource types listed at the same time. */
  listConcurrency?: number;
  /** Runs around each pod taken (backup hooks, pod volume backups); only the real backup sets it. */
  podGate?: PodItemGate;
  /** Takes the CSI snapshots the volume decision calls for; only the real backup sets it. */
  csi?: CsiSnapshotter;
}

export type PodGateDecision = { take: true } | { take: false; reason: string };

/**
 * What happens around each pod a backup takes (reference §3.6): `before` runs ahead of the pod
 * item (its pre hooks, then its volume backups start) and may leave the pod out; `after` is
 * told once the pod item and its additional items are written (its post hooks follow).
 */
export interface PodItemGate {
  /** How many pods ahead of the one being written `before` may already run. */
  readonly lookahead: number;
  /** Never rejects: a failure is a decision (or a logged problem). */
  before(pod: KubeObject): Promise<PodGateDecision>;
  after(pod: KubeObject): void;
}

export interface ListedPage {
  step: ListStep;
  items: ListedObject[];
  /** Set instead of items when the API server refused the list (see listStep). */
  error?: { namespace: string | undefined; message: string };
  /** On the one page of a type with ordered objects: the entries of its order that matched an object. */
  orderedFound?: Set<string>;
}

/**
 * Lists a backup runs at a time, measured with bench:backup on 2 cores: a page's handling now
 * costs less than the API server's time to serve the next one, so a third list keeps the backup
 * busy (+5-10 % objects/s over two); a fourth added pages in flight (+10 MiB peak at 50,000
 * objects) for no more speed. bench:backup's parallel LIST baseline runs as many.
 */
export const LIST_CONCURRENCY = 3;

/** Rounds of the application detector: enough for a ClusterRole aggregating one that aggregates others. */
const MAX_APP_ROUNDS = 4;

const CRD_TYPE = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };

/**
 * Streams every item a backup takes, with the reason for each listed item it leaves
 * out. Reads the cluster, writes nothing: the dry run and the real backup both consume
 * this stream, so they cannot disagree.
 */
export async function* collectBackupItems(plan: BackupPlan, opts: CollectOptions): AsyncGenerator<CollectedEvent> {
  for await (const batch of collectBackupItemBatches(plan, opts)) yield* batch;
}

/**
 * `collectBackupItems` in batches: the events of a page's plain items (no action, not a pod)
 * come as one array, every other event alone, as soon as it is known. A consumer handles a
 * batch in full before asking for the next, so an event that must be handled before the
 * collector goes on (a pod, whose post hooks follow once it is written) is still handled in
 * time. Why: an event per async-generator step cost a promise, an iterator result and a
 * microtask per item, about a quarter of the bytes a backup of small objects allocated
 * (bench:backup's heap profile), and with them young-generation collections.
 */
export async function* collectBackupItemBatches(
  plan: BackupPlan,
  opts: CollectOptions,
): AsyncGenerator<CollectedEvent[]> {
  const c = new Collector(plan, opts);
  const listings = listUnits(plan).map((step) => () => listStep(step, opts.source, plan.orderedResources));
  const namespaceObjects: KubeObject[] = [];
  const decideListed = listedItemDecider(plan.selection);
  const ordered = new OrderedEntriesSeen(plan.orderedResources);
  for await (const { step, items, error, orderedFound } of mergeBounded(
    listings,
    opts.listConcurrency ?? LIST_CONCURRENCY,
  )) {
    if (error) {
      ordered.listFailed(step.type.resource);
      yield [{ kind: 'error', namespace: error.namespace, message: error.message }];
      continue;
    }
    if (orderedFound) ordered.listed(step.type, orderedFound);
    if (step.groupResource === 'namespaces') {
      for (const ns of items) namespaceObjects.push(wholeObject(ns));
      continue;
    }
    if (opts.podGate && step.groupResource === 'pods') {
      yield* alone(c.takePods(step, items, decideListed, opts.podGate));
      continue;
    }
    const withActions = opts.actions.for(step.groupResource).length > 0;
    const mayRepeat = c.mayRepeat(step);
    let batch: CollectedEvent[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as ListedObject;
      // Let processed items die young: a page outliving a GC cycle would make V8 grow the heap.
      (items as (ListedObject | undefined)[])[i] = undefined;
      const decision = decideListed(selectionItem(step.type, item, step.groupResource));
      if (!decision.included) {
        batch.push({ kind: 'excluded', type: step.type, item, reason: decision.reason });
        continue;
      }
      if (withActions) {
        // The plain items before it go first, so the order stays the listing's.
        if (batch.length > 0) yield batch;
        batch = [];
        yield* alone(c.take(step.type, wholeObject(item), 'listed'));
        continue;
      }
      // Most items have no action: taking them without a generator per item is what keeps
      // a backup of many small objects close to the speed of listing them.
      const event = c.takePlain(step.type, step.groupResource, item, mayRepeat);
      if (event) batch.push(event);
    }
    if (batch.length > 0) yield batch;
  }
  const notFound = ordered.notFoundWarnings();
  if (notFound.length > 0) yield notFound.map((message): CollectedEvent => ({ kind: 'warning', message }));
  yield* alone(c.takeCustomResourceDefinitions());
  yield* alone(c.takeAppClusterResources());
  const nsType = plan.steps.find((s) => s.groupResource === 'namespaces')?.type;
  if (nsType) {
    for (const ns of namespaceObjects) {
      const decision: Decision = decideNamespaceObject(
        plan.selection,
        selectionItem(nsType, ns, groupResource(nsType)),
        c.namespacesWithItems,
      );
      if (decision.included) yield* alone(c.take(nsType, ns, 'listed'));
      else yield [{ kind: 'excluded', type: nsType, item: ns, reason: decision.reason }];
    }
  }
}

/**
 * The lists a backup runs, in order: one unit per (type, namespace) so that lists of a
 * per-namespace backup overlap; a type with ordered objects stays one unit, since its order
 * spans namespaces.
 */
export function listUnits(plan: BackupPlan): ListStep[] {
  return plan.steps.flatMap((step) =>
    plan.orderedResources.has(step.type.resource)
      ? [step]
      : step.namespaces.map((ns) => ({ ...step, namespaces: [ns] })),
  );
}

/** Each event of `events` as a batch of its own. */
async function* alone(events: AsyncIterable<CollectedEvent>): AsyncGenerator<CollectedEvent[]> {
  for await (const e of events) yield [e];
}

class Collector {
  readonly namespacesWithItems = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly backedUpTypes = new Map<string, ResourceType>();
  private readonly clusterLists = new Map<string, Promise<KubeObject[]>>();
  private readonly ctx: BackupActionContext;
  /** Facts for the application detector; none when the backup lists every cluster-scoped type. */
  private readonly appFacts: AppFacts | undefined;

  constructor(
    private readonly plan: BackupPlan,
    private readonly opts: CollectOptions,
  ) {
    this.ctx = {
      backupName: opts.backupName,
      listClusterScoped: (group, resource) => this.listClusterScoped(group, resource),
      ...(opts.csi ? { csi: opts.csi } : {}),
    };
    if (plan.appCandidateTypes.length > 0) {
      const covered = new Set(plan.namespaces);
      this.appFacts = new AppFacts((ns) => plan.allNamespaces || covered.has(ns));
    }
  }

  /**
   * Whether an item of this step can reach the backup twice: when an action or the CRD step
   * may add its type as a related item, or when several label selectors may list it again.
   * Only those items are remembered, so memory does not grow with every ConfigMap and Secret.
   */
  mayRepeat(step: ListStep): boolean {
    return this.mayBeRelated(step.groupResource) || step.labelSelectors.length > 1;
  }

  /** A listed item of a type without actions; undefined when it was already taken. */
  takePlain(type: ResourceType, gr: string, item: ListedObject, mayRepeat: boolean): CollectedEvent | undefined {
    if (mayRepeat && !this.markSeen(gr, item)) return undefined;
    this.noteTaken(gr, type, item);
    return { kind: 'included', type, item, origin: 'listed' };
  }

  /**
   * A page of pods, through the gate: the gate's `before` runs for up to `lookahead` pods ahead
   * of the one being written (so their hooks overlap), and `after` follows each pod's items.
   * Pods are still written in listing order.
   */
  async *takePods(
    step: ListStep,
    items: ListedObject[],
    decide: (item: SelectionItem) => Decision,
    gate: PodItemGate,
  ): AsyncGenerator<CollectedEvent> {
    const pods: (ListedObject | undefined)[] = [];
    for (const item of items) {
      const decision = decide(selectionItem(step.type, item, step.groupResource));
      if (!decision.included) yield { kind: 'excluded', type: step.type, item, reason: decision.reason };
      else if (!this.seen.has(itemKey(step.groupResource, item.metadata.namespace, item.metadata.name ?? '')))
        pods.push(item);
    }
    const ahead: { pod: KubeObject; ready: Promise<PodGateDecision> }[] = [];
    let next = 0;
    const fill = (): void => {
      while (ahead.length < Math.max(1, gate.lookahead) && next < pods.length) {
        // Parsed only when its turn comes: a page of pods is not held parsed at once.
        const pod = wholeObject(pods[next] as ListedObject);
        pods[next++] = undefined;
        ahead.push({ pod, ready: gate.before(pod) });
      }
    };
    try {
      fill();
      for (let a = ahead.shift(); a; a = ahead.shift()) {
        const decision = await a.ready;
        fill();
        if (!decision.take) {
          yield { kind: 'excluded', type: step.type, item: a.pod, reason: decision.reason };
          continue;
        }
        try {
          yield* this.take(step.type, a.pod, 'listed');
        } finally {
          gate.after(a.pod);
        }
      }
    } finally {
      // Stopped early: pods whose pre hooks ran still get their post hooks.
      for (const a of ahead.splice(0)) if ((await a.ready).take) gate.after(a.pod);
    }
  }

  /** Runs the item actions on an included item, yields it, then its related items. */
  async *take(
    type: ResourceType,
    item: KubeObject,
    origin: 'listed' | 'additional',
    app?: AppClusterResource,
  ): AsyncGenerator<CollectedEvent> {
    const gr = groupResource(type);
    if (!this.markSeen(gr, item)) return;
    const key = itemKey(gr, item.metadata.namespace, item.metadata.name ?? '');
    let current = item;
    const related: ItemRef[] = [];
    for (const action of this.opts.actions.for(gr)) {
      try {
        const res = await action.execute(current, this.ctx);
        current = res.item;
        related.push(...res.additionalItems);
        for (const w of res.warnings ?? []) yield { kind: 'warning', namespace: item.metadata.namespace, message: w };
      } catch (err) {
        yield {
          kind: 'error',
          namespace: item.metadata.namespace,
          message: `${action.name} failed on ${gr} ${key}: ${errorMessage(err)}`,
        };
        return;
      }
    }
    this.noteTaken(gr, type, item);
    yield { kind: 'included', type, item: current, origin, ...(app ? { app } : {}) };
    for (const ref of related) yield* this.takeRelated(ref);
  }

  /** False when the item was taken before (listed twice, or already added as a related item). */
  private markSeen(gr: string, item: ObjectHead): boolean {
    const key = itemKey(gr, item.metadata.namespace, item.metadata.name ?? '');
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  private noteTaken(gr: string, type: ResourceType, item: ListedObject): void {
    if (item.metadata.namespace) this.namespacesWithItems.add(item.metadata.namespace);
    this.backedUpTypes.set(gr, type);
    // A served object is parsed only for the kinds whose spec the detector reads (pods and
    // their templates, claims, ingresses...): ConfigMaps and Secrets need only their labels.
    if (this.appFacts) this.appFacts.observe(gr, appReadsSpec(gr) ? wholeObject(item) : item);
  }

  private mayBeRelated(gr: string): boolean {
    return gr === groupResource(CRD_TYPE) || this.opts.actions.mayAdd(gr);
  }

  private async *takeRelated(ref: ItemRef): AsyncGenerator<CollectedEvent> {
    const type = this.opts.typeOf(ref.group, ref.resource);
    if (!type) return;
    if (!this.mayBeRelated(groupResource(type))) {
      // Its listed copies were not remembered, so taking it could write it twice.
      yield {
        kind: 'error',
        namespace: ref.namespace,
        message: `a backup item action returned a related ${groupResource(type)} without declaring it in mayAdd`,
      };
      return;
    }
    if (this.seen.has(itemKey(groupResource(type), ref.namespace, ref.name))) return;
    let obj: KubeObject | undefined;
    try {
      obj = await this.opts.source.find(type, ref.name, type.namespaced ? ref.namespace : undefined);
    } catch (err) {
      yield {
        kind: 'error',
        namespace: ref.namespace,
        message: `reading related ${groupResource(type)} ${ref.name}: ${errorMessage(err)}`,
      };
      return;
    }
    if (!obj) {
      yield {
        kind: 'warning',
        namespace: ref.namespace,
        message: `related ${groupResource(type)} ${orderKey(ref.namespace, ref.name)} not found`,
      };
      return;
    }
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const decision = decideBackupItem(this.plan.selection, selectionItem(type, obj, groupResource(type)), {
      origin: 'additional',
      ...(ref.mustInclude ? { mustInclude: true } : {}),
    });
    if (!decision.included) {
      yield { kind: 'excluded', type, item: obj, reason: decision.reason };
      return;
    }
    yield* this.take(type, obj, 'additional');
  }

  /** The CRD of every backed-up custom resource type, unless the CRD type was named in a filter (§3.3 step 7). */
  async *takeCustomResourceDefinitions(): AsyncGenerator<CollectedEvent> {
    if (this.plan.crdTypeExplicit) return;
    const crdNames = new Set<string>();
    for (const [gr, type] of this.backedUpTypes) if (type.group !== '') crdNames.add(gr);
    if (crdNames.size === 0) return;
    let crds: KubeObject[];
    try {
      crds = await this.listClusterScoped(CRD_TYPE.group, CRD_TYPE.resource);
    } catch (err) {
      yield { kind: 'error', message: `listing CustomResourceDefinitions: ${errorMessage(err)}` };
      return;
    }
    for (const crd of crds) {
      if (crd.metadata.name && crdNames.has(crd.metadata.name))
        yield* this.takeRelated({ ...CRD_TYPE, name: crd.metadata.name });
    }
  }

  /**
   * The cluster-scoped objects the application uses that the rules above left out: warned
   * about, or with the annotation taken as additional items. Taking an object can point at
   * more (a ClusterRole aggregating others), hence the rounds; the lists are read once.
   */
  async *takeAppClusterResources(): AsyncGenerator<CollectedEvent> {
    const facts = this.appFacts;
    if (!facts) return;
    const finder = new AppResourceFinder({
      source: this.opts.source,
      candidateTypes: this.plan.appCandidateTypes,
      listWhole: (group, resource) => this.listClusterScoped(group, resource),
    });
    for (let round = 0; round < MAX_APP_ROUNDS; round++) {
      const { found, problems } = await finder.find(facts);
      for (const message of problems) yield { kind: 'warning', message };
      const wanted = found.filter(({ type, item }) => {
        if (this.seen.has(itemKey(groupResource(type), undefined, item.metadata.name ?? ''))) return false;
        // Explicitly excluded types, velero.io/exclude-from-backup, objects being deleted: the user's word wins.
        const sel = selectionItem(type, item, groupResource(type));
        return decideBackupItem(this.plan.selection, sel, { origin: 'additional' }).included;
      });
      if (wanted.length === 0) return;
      if (!this.plan.includeAppClusterResources) {
        for (const { found: f, type, item } of wanted) yield { kind: 'app-left-out', type, item, found: f };
        return;
      }
      for (const { found: f, type, item } of wanted) yield* this.take(type, item, 'additional', f);
    }
  }

  private listClusterScoped(group: string, resource: string): Promise<KubeObject[]> {
    const key = `${resource}.${group}`;
    let p = this.clusterLists.get(key);
    if (!p) {
      const type = this.opts.typeOf(group, resource);
      p = type ? collectPages(this.opts.source.list(type, {})) : Promise.resolve([]);
      this.clusterLists.set(key, p);
    }
    return p;
  }
}

async function* listStep(
  step: ListStep,
  source: ItemSource,
  ordered: Map<string, string[]>,
): AsyncGenerator<ListedPage> {
  const order = ordered.get(step.type.resource);
  const buffered: ListedObject[] = [];
  for (const namespace of step.namespaces) {
    for (const labelSelector of step.labelSelectors) {
      for await (const page of listOnce(step, source, namespace, labelSelector)) {
        if (order && !page.error) buffered.push(...page.items);
        else yield page;
      }
    }
  }
  if (!order) return;
  // Ordered objects first, in the order given; the rest as listed. Only the names found are
  // remembered, so that those never found can be warned about.
  const position = new Map<string, number>();
  for (const [i, key] of order.entries()) if (!position.has(key)) position.set(key, i);
  const keyOf = (o: ListedObject): string => orderKey(o.metadata.namespace, o.metadata.name ?? '');
  const found = new Set<string>();
  for (const o of buffered) if (position.has(keyOf(o))) found.add(keyOf(o));
  const rank = (o: ListedObject): number => position.get(keyOf(o)) ?? order.length;
  yield { step, items: buffered.sort((a, b) => rank(a) - rank(b)), orderedFound: found };
}

/** One LIST of a step (a namespace, a label selector), page by page. */
export async function* listOnce(
  step: ListStep,
  source: ItemSource,
  namespace: string | undefined,
  labelSelector: string | undefined,
): AsyncGenerator<ListedPage> {
  if (namespace === undefined && step.onlyNamespaces) {
    yield* listAcrossNamespaces(step, step.onlyNamespaces, source, labelSelector);
    return;
  }
  const opts = { ...(namespace ? { namespace } : {}), ...(labelSelector ? { labelSelector } : {}) };
  try {
    for await (const items of source.list(step.type, opts)) yield { step, items };
  } catch (err) {
    yield refusedList(step, namespace, err);
  }
}

/**
 * A kind the server may not list (least-privilege RBAC), or one whose CRD went away
 * mid-backup: an error naming the kind, and the rest of the backup goes on (as Velero's item
 * collector logs "Error listing items" and continues). Anything else fails the backup (thrown).
 */
function refusedList(step: ListStep, namespace: string | undefined, err: unknown): ListedPage {
  if (!(err instanceof KubeApiError && (err.forbidden || err.notFound))) throw err;
  const where = namespace ? ` in namespace ${namespace}` : '';
  const message = `cannot list ${step.groupResource}${where}: ${err.status} ${err.reason}: ${err.apiMessage}`;
  return { step, items: [], error: { namespace, message } };
}

/**
 * A cluster-wide LIST standing in for one per namespace (planBackup's `listsClusterWide`):
 * items of other namespaces are dropped, as those lists would never have returned them. An
 * install whose rights are granted per namespace is refused the cluster-wide LIST: the
 * namespaces are then listed one by one, as without the shortcut.
 */
async function* listAcrossNamespaces(
  step: ListStep,
  only: readonly string[],
  source: ItemSource,
  labelSelector: string | undefined,
): AsyncGenerator<ListedPage> {
  const keep = new Set(only);
  const { onlyNamespaces: _only, ...perNamespace } = step;
  let listed = false;
  try {
    for await (const items of source.list(step.type, labelSelector ? { labelSelector } : {})) {
      listed = true;
      const kept = items.filter((item) => keep.has(item.metadata.namespace ?? ''));
      if (kept.length > 0) yield { step, items: kept };
    }
    return;
  } catch (err) {
    if (listed || !(err instanceof KubeApiError && err.forbidden)) {
      yield refusedList(step, undefined, err);
      return;
    }
  }
  for (const namespace of only) yield* listOnce(perNamespace, source, namespace, labelSelector);
}

export function selectionItem(type: ResourceType, item: ObjectHead, gr: string): SelectionItem {
  return {
    groupResource: gr,
    namespaced: type.namespaced,
    ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}),
    name: item.metadata.name ?? '',
    labels: item.metadata.labels ?? {},
    annotations: item.metadata.annotations ?? {},
    deletionTimestamp: item.metadata.deletionTimestamp ?? null,
  };
}

export function itemKey(gr: string, namespace: string | undefined, name: string): string {
  return `${gr}/${namespace ?? ''}/${name}`;
}

async function collectPages(pages: AsyncIterable<ListedObject[]>): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const page of pages) for (const o of page) out.push(wholeObject(o));
  return out;
}
