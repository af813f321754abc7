/**
 * The ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) that guard the tenant kinds
 * (issue 17 "Who asked"). The API server runs them itself, so they hold with `skiff server`
 * stopped. Each check names the field it is about.
 *
 * - `spec.requester` must be the user making the request (username, uid, groups), whenever the
 *   spec is written (create, or an update that changes it); the CRD keeps it immutable.
 * - CEL's `authorizer` checks, as that user, the verbs the object implies in every namespace it
 *   names (a TenantBackup's namespaces, a TenantRestore's source backup, a RestoreGrant's
 *   backups, a TenantStorageLocation's Secret, the pods/exec its hooks would run).
 * - The TenantPolicy selecting the namespace (as the policy's param) forbids features, locks
 *   fields to its defaults and caps the ttl.
 * - A TenantSchedule written `@every <duration>` may not fire more often than the policy's
 *   minScheduleInterval; a cron expression's interval is not computable in CEL, so the server
 *   checks it (the schedule then ends FailedValidation, naming minScheduleInterval).
 *
 * A status write (the /status subresource) and a metadata-only update match none of them.
 */
import type { KubeObject } from '../../kube/object.ts';
import { TenantKinds, type TenantKindInfo } from '../api/kinds.ts';
import { ForbiddenFeature, LOCKABLE_FIELDS, TENANT_API_VERSION, TENANT_GROUP } from '../api/types.ts';

export const ADMISSION_API_VERSION = 'admissionregistration.k8s.io/v1';

/** The label install puts on these objects (uninstall removes only labelled ones). */
const LABELS = { component: 'velero', 'app.kubernetes.io/part-of': 'skiff-tenant' };

interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: 'Forbidden' | 'Invalid';
}

interface PolicyDef {
  name: string;
  kinds: TenantKindInfo[];
  operations: ('CREATE' | 'UPDATE')[];
  /** Only requests that write the spec (create, or an update that changes it). */
  onlySpecWrites: boolean;
  variables?: { name: string; expression: string }[];
  validations: Validation[];
  paramKind?: { apiVersion: string; kind: string };
  action?: 'Deny' | 'Warn';
}

/** A Go duration as CEL's duration() reads it (a schedule's `@every` argument). */
const GO_DURATION_CEL = '^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

const SPEC_WRITTEN = "request.operation == 'CREATE' || object.spec != oldObject.spec";

/** `'a' + x + 'b'` pieces as a CEL string concatenation. */
const user = 'request.userInfo.username';

/**
 * CEL asking the authorizer whether the requesting user may `verb` on `resource` (optionally
 * `resource/sub`) in namespace `ns` (optionally object `name`); `ns` and `name` are CEL.
 */
function check(group: string, resource: string, verb: string, at: { ns: string; name?: string; sub?: string }): string {
  let expr = `authorizer.group('${group}').resource('${resource}')`;
  if (at.sub) expr += `.subresource('${at.sub}')`;
  expr += `.namespace(${at.ns})`;
  if (at.name) expr += `.name(${at.name})`;
  return `${expr}.check('${verb}').allowed()`;
}

/** Checks that `spec.requester` is the user making the request. */
function requesterValidations(): Validation[] {
  return [
    {
      expression: `object.spec.requester.username == ${user}`,
      messageExpression: `'spec.requester.username: ' + object.spec.requester.username + ' is not the user making this request (' + ${user} + '); the requester must be you (skiff tenant fills it in from a SelfSubjectReview)'`,
      reason: 'Forbidden',
    },
    {
      expression:
        "(has(object.spec.requester.uid) ? object.spec.requester.uid : '') == (has(request.userInfo.uid) ? request.userInfo.uid : '')",
      messageExpression: `'spec.requester.uid must be the UID of the user making this request (' + (has(request.userInfo.uid) ? request.userInfo.uid : 'none') + ')'`,
      reason: 'Forbidden',
    },
    {
      expression:
        'variables.requesterGroups.all(g, g in variables.userGroups) && variables.userGroups.all(g, g in variables.requesterGroups)',
      messageExpression:
        "'spec.requester.groups must be the groups of the user making this request: [' + variables.userGroups.join(', ') + ']'",
      reason: 'Forbidden',
    },
  ];
}

const requesterVariables = [
  { name: 'userGroups', expression: 'has(request.userInfo.groups) ? request.userInfo.groups : []' },
  {
    name: 'requesterGroups',
    expression: 'has(object.spec.requester.groups) ? object.spec.requester.groups : []',
  },
];

/** The authorisation a backup spec implies (`s`: the CEL path of the TenantBackup spec). */
function backupSpecChecks(s: string, field: (name: string) => string) {
  const variables = [
    { name: 'namespaces', expression: `has(${s}.namespaces) ? ${s}.namespaces : [request.namespace]` },
    {
      name: 'deniedNamespaces',
      expression: `variables.namespaces.filter(n, !${check(TENANT_GROUP, 'tenantbackups', 'create', { ns: 'n' })})`,
    },
    {
      name: 'hasHooks',
      expression: `has(${s}.hooks) && has(${s}.hooks.resources) && size(${s}.hooks.resources) > 0`,
    },
    {
      name: 'execDenied',
      expression: `variables.hasHooks ? variables.namespaces.filter(n, !${check('', 'pods', 'create', { ns: 'n', sub: 'exec' })}) : []`,
    },
  ];
  const validations: Validation[] = [
    {
      expression: 'size(variables.deniedNamespaces) == 0',
      // A message cannot call the authorizer, so it names every namespace asked for.
      messageExpression: `'${field('namespaces')}: ' + ${user} + ' may not create tenantbackups in every namespace named (' + variables.namespaces.join(', ') + '); one may back up only namespaces where one may create tenantbackups'`,
      reason: 'Forbidden',
    },
    {
      expression: `!has(${s}.storageLocation) || ${check(TENANT_GROUP, 'tenantstoragelocations', 'get', { ns: 'request.namespace', name: `${s}.storageLocation` })}`,
      messageExpression: `'${field('storageLocation')}: ' + ${user} + ' may not get tenantstoragelocation ' + ${s}.storageLocation + ' in namespace ' + request.namespace`,
      reason: 'Forbidden',
    },
    {
      expression: 'size(variables.execDenied) == 0',
      messageExpression: `'${field('hooks')}: hooks run commands in pods, and ' + ${user} + ' may not create pods/exec in every namespace named (' + variables.namespaces.join(', ') + ')'`,
      reason: 'Forbidden',
    },
  ];
  return { variables, validations };
}

/** A LabelSelector (`sel`) matched against the labels of the request's namespace, in CEL. */
function selectorMatches(sel: string): string {
  const labels = 'variables.nsLabels';
  const expr = [
    `(e.operator == 'In' && e.key in ${labels} && has(e.values) && ${labels}[e.key] in e.values)`,
    `(e.operator == 'NotIn' && (!(e.key in ${labels}) || !has(e.values) || !(${labels}[e.key] in e.values)))`,
    `(e.operator == 'Exists' && e.key in ${labels})`,
    `(e.operator == 'DoesNotExist' && !(e.key in ${labels}))`,
  ].join(' || ');
  return (
    `(!has(${sel}.matchLabels) || ${sel}.matchLabels.all(k, k in ${labels} && ${labels}[k] == ${sel}.matchLabels[k])) && ` +
    `(!has(${sel}.matchExpressions) || ${sel}.matchExpressions.all(e, ${expr}))`
  );
}

/** What the TenantPolicy (`params`) says about a backup spec at CEL path `s`. */
function policyChecks(s: string, field: (name: string) => string) {
  const p = 'params.spec';
  const by = "' by TenantPolicy ' + params.metadata.name";
  const variables = [
    {
      name: 'nsLabels',
      expression:
        'namespaceObject != null && has(namespaceObject.metadata.labels) ? namespaceObject.metadata.labels : {}',
    },
    { name: 'applies', expression: selectorMatches(`${p}.namespaceSelector`) },
    { name: 'forbidden', expression: `has(${p}.forbidden) ? ${p}.forbidden : []` },
    { name: 'locked', expression: `has(${p}.locked) ? ${p}.locked : []` },
  ];
  const forbids = (feature: string, present: string, what: string, name: string): Validation => ({
    expression: `!variables.applies || !('${feature}' in variables.forbidden) || !(${present})`,
    messageExpression: `'${field(name)}: ${what} are forbidden in namespace ' + request.namespace + ${by}`,
    reason: 'Forbidden',
  });
  const validations: Validation[] = [
    forbids(
      ForbiddenFeature.Hooks,
      `has(${s}.hooks) && has(${s}.hooks.resources) && size(${s}.hooks.resources) > 0`,
      'hooks',
      'hooks',
    ),
    forbids(
      ForbiddenFeature.FsBackup,
      `has(${s}.defaultVolumesToFsBackup) && ${s}.defaultVolumesToFsBackup`,
      'file-system backups of volumes',
      'defaultVolumesToFsBackup',
    ),
    forbids(
      ForbiddenFeature.Snapshots,
      `has(${s}.snapshotVolumes) && ${s}.snapshotVolumes`,
      'volume snapshots',
      'snapshotVolumes',
    ),
    // Moving data starts from a CSI snapshot.
    forbids(
      ForbiddenFeature.Snapshots,
      `has(${s}.snapshotMoveData) && ${s}.snapshotMoveData`,
      'volume snapshots (whose data the data mover moves)',
      'snapshotMoveData',
    ),
    ...LOCKABLE_FIELDS.map((f): Validation => ({
      expression:
        `!variables.applies || !('${f}' in variables.locked) || !has(${s}.${f}) || ` +
        `(has(${p}.defaults) && has(${p}.defaults.${f}) && ${s}.${f} == ${p}.defaults.${f})`,
      messageExpression: `'${field(f)}: locked to its default' + (has(${p}.defaults) && has(${p}.defaults.${f}) ? '' : ' (none: leave it out)') + ${by}`,
      reason: 'Forbidden',
    })),
    {
      expression:
        `!variables.applies || !has(${p}.maxTTL) || duration(has(${s}.ttl) ? ${s}.ttl : ` +
        `(has(${p}.defaults) && has(${p}.defaults.ttl) ? ${p}.defaults.ttl : '720h')) <= duration(${p}.maxTTL)`,
      messageExpression: `'${field('ttl')}: ' + (has(${s}.ttl) ? ${s}.ttl : 'the default ttl') + ' is longer than maxTTL ' + ${p}.maxTTL + ${by}`,
      reason: 'Forbidden',
    },
  ];
  return { variables, validations };
}

/**
 * `@every <d>` against the policy's minScheduleInterval (`params`), as far as CEL can tell.
 * What CEL cannot read as a duration is left to the server, which names the problem.
 */
function scheduleIntervalChecks() {
  const min = 'params.spec.minScheduleInterval';
  const variables = [
    ...policyChecks('object.spec.template', templateField).variables.filter(
      (v) => v.name === 'nsLabels' || v.name === 'applies',
    ),
    {
      name: 'everyArg',
      expression: "object.spec.schedule.startsWith('@every ') ? object.spec.schedule.substring(7).trim() : ''",
    },
  ];
  const readable = `variables.everyArg.matches('${GO_DURATION_CEL}') && ${min}.matches('${GO_DURATION_CEL}')`;
  const validations: Validation[] = [
    {
      expression: `!variables.applies || !has(${min}) || !(${readable}) || duration(variables.everyArg) >= duration(${min})`,
      messageExpression: `'spec.schedule: ' + object.spec.schedule + ' fires more often than the minScheduleInterval ' + ${min} + ' of TenantPolicy ' + params.metadata.name`,
      reason: 'Forbidden',
    },
  ];
  return { variables, validations };
}

const specField = (name: string) => `spec.${name}`;
const templateField = (name: string) => `spec.template.${name}`;

function policyDefs(): PolicyDef[] {
  const backup = backupSpecChecks('object.spec', specField);
  const template = backupSpecChecks('object.spec.template', templateField);
  const backupPolicy = policyChecks('object.spec', specField);
  const templatePolicy = policyChecks('object.spec.template', templateField);
  const tenantPolicyParam = { apiVersion: TENANT_API_VERSION, kind: TenantKinds.TenantPolicy.kind };
  const backupRef = 'object.spec.backupRef';
  return [
    {
      name: 'skiff-tenant-requester',
      kinds: [TenantKinds.TenantBackup, TenantKinds.TenantRestore, TenantKinds.TenantSchedule],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      variables: requesterVariables,
      validations: requesterValidations(),
    },
    {
      name: 'skiff-tenant-backup',
      kinds: [TenantKinds.TenantBackup],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      ...backup,
    },
    {
      name: 'skiff-tenant-schedule',
      kinds: [TenantKinds.TenantSchedule],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      ...template,
    },
    {
      name: 'skiff-tenant-backup-policy',
      kinds: [TenantKinds.TenantBackup],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      paramKind: tenantPolicyParam,
      ...backupPolicy,
    },
    {
      name: 'skiff-tenant-schedule-policy',
      kinds: [TenantKinds.TenantSchedule],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      paramKind: tenantPolicyParam,
      ...templatePolicy,
    },
    {
      name: 'skiff-tenant-schedule-interval',
      kinds: [TenantKinds.TenantSchedule],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      paramKind: tenantPolicyParam,
      ...scheduleIntervalChecks(),
    },
    {
      name: 'skiff-tenant-restore',
      kinds: [TenantKinds.TenantRestore],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      validations: [
        {
          // The same namespace: the requester must be able to read the backup. Another namespace
          // may also be allowed by a RestoreGrant there, which `skiff server` evaluates.
          expression: `${backupRef}.namespace != request.namespace || ${check(TENANT_GROUP, 'tenantbackups', 'get', { ns: `${backupRef}.namespace`, name: `${backupRef}.name` })}`,
          messageExpression: `'spec.backupRef: ' + ${user} + ' may not get tenantbackup ' + ${backupRef}.name + ' in namespace ' + ${backupRef}.namespace`,
          reason: 'Forbidden',
        },
      ],
    },
    {
      name: 'skiff-tenant-restore-grant-notice',
      kinds: [TenantKinds.TenantRestore],
      operations: ['CREATE'],
      onlySpecWrites: false,
      action: 'Warn',
      validations: [
        {
          expression: `${backupRef}.namespace == request.namespace || ${check(TENANT_GROUP, 'tenantbackups', 'get', { ns: `${backupRef}.namespace`, name: `${backupRef}.name` })}`,
          messageExpression: `'spec.backupRef: ' + ${user} + ' may not get tenantbackup ' + ${backupRef}.name + ' in namespace ' + ${backupRef}.namespace + ': the restore runs only if a RestoreGrant there names it and namespace ' + request.namespace + ' and has not expired'`,
        },
      ],
    },
    {
      name: 'skiff-tenant-restore-grant',
      kinds: [TenantKinds.RestoreGrant],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      validations: [
        {
          // Consent can only be given for backups the granting user may read.
          expression: `object.spec.backups.all(b, b == '*' ? ${check(TENANT_GROUP, 'tenantbackups', 'get', { ns: 'request.namespace' })} : ${check(TENANT_GROUP, 'tenantbackups', 'get', { ns: 'request.namespace', name: 'b' })})`,
          messageExpression: `'spec.backups: ' + ${user} + ' may not get every named tenantbackup in namespace ' + request.namespace + ', so may not grant restoring it'`,
          reason: 'Forbidden',
        },
      ],
    },
    {
      name: 'skiff-tenant-storage-location',
      kinds: [TenantKinds.TenantStorageLocation],
      operations: ['CREATE', 'UPDATE'],
      onlySpecWrites: true,
      validations: [
        {
          // The server reads the Secret for the tenant: only one the tenant could read itself.
          expression: `!has(object.spec.credential) || ${check('', 'secrets', 'get', { ns: 'request.namespace', name: 'object.spec.credential.name' })}`,
          messageExpression: `'spec.credential: ' + ${user} + ' may not get secret ' + object.spec.credential.name + ' in namespace ' + request.namespace`,
          reason: 'Forbidden',
        },
      ],
    },
  ];
}

function policyObject(def: PolicyDef): KubeObject {
  const spec: Record<string, unknown> = {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [
        {
          apiGroups: [TENANT_GROUP],
          apiVersions: ['*'],
          operations: def.operations,
          resources: def.kinds.map((k) => k.plural),
        },
      ],
    },
    validations: def.validations,
  };
  if (def.onlySpecWrites) spec.matchConditions = [{ name: 'spec-written', expression: SPEC_WRITTEN }];
  if (def.variables) spec.variables = def.variables;
  if (def.paramKind) spec.paramKind = def.paramKind;
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: def.name, labels: { ...LABELS } },
    spec,
  };
}

function bindingObject(def: PolicyDef): KubeObject {
  const spec: Record<string, unknown> = {
    policyName: def.name,
    validationActions: [def.action ?? 'Deny'],
  };
  // Every TenantPolicy is a param; each one whose selector matches the namespace applies.
  // With none, nothing is forbidden at admission (the server then finds no location and says so).
  if (def.paramKind) spec.paramRef = { selector: {}, parameterNotFoundAction: 'Allow' };
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: def.name, labels: { ...LABELS } },
    spec,
  };
}

/** Every policy, each followed by its binding. */
export function tenantAdmissionObjects(): KubeObject[] {
  return policyDefs().flatMap((def) => [policyObject(def), bindingObject(def)]);
}

export const TENANT_OBJECT_LABELS: Readonly<Record<string, string>> = LABELS;
