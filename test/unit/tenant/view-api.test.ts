import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { tenantRoleRules } from '../../../src/tenant/rbac.ts';
import { apiResourceList, routeOf, VIEW_RBAC_RESOURCES } from '../../../src/tenant/view/api.ts';
import { rewriteNames } from '../../../src/tenant/view/content.ts';
import { authenticateProxied, requestHeaderConfigOf } from '../../../src/tenant/view/front-proxy.ts';
import { selfSignedServingCert } from '../../../src/tenant/view/serving-cert.ts';

const config = requestHeaderConfigOf({
  'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----\n...',
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-username-headers': '["X-Remote-User"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
  'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
});

describe('view API: who asks', () => {
  test('the request-header settings are read from the ConfigMap; none without a CA', () => {
    assert.deepEqual(config?.allowedNames, ['front-proxy-client']);
    assert.deepEqual(config?.usernameHeaders, ['X-Remote-User']);
    assert.equal(requestHeaderConfigOf({}), undefined);
  });

  test('identity headers count only on a verified front-proxy certificate with an allowed name', () => {
    assert.ok(config);
    const headers = { 'x-remote-user': ['alice'], 'x-remote-group': ['team-a', 'system:authenticated'] };
    assert.deepEqual(authenticateProxied({ verified: true, commonName: 'front-proxy-client' }, headers, config), {
      user: { username: 'alice', groups: ['team-a', 'system:authenticated'] },
    });
    const unverified = authenticateProxied({ verified: false, commonName: 'front-proxy-client' }, headers, config);
    assert.match('error' in unverified ? unverified.error : '', /no client certificate signed/);
    const otherName = authenticateProxied({ verified: true, commonName: 'alice' }, headers, config);
    assert.match('error' in otherName ? otherName.error : '', /not an allowed request-header name/);
    const anonymous = authenticateProxied({ verified: true, commonName: 'front-proxy-client' }, {}, config);
    assert.match('error' in anonymous ? anonymous.error : '', /names no user/);
  });
});

describe('view API: paths and discovery', () => {
  test('the four subresources are routed; anything else is not found', () => {
    assert.deepEqual(routeOf('/apis/view.skiff.dev/v1alpha1/namespaces/team-a/tenantbackups/nightly/log?x=1'), {
      kind: 'object',
      request: { namespace: 'team-a', resource: 'tenantbackups', name: 'nightly', subresource: 'log' },
    });
    for (const path of [
      '/apis/view.skiff.dev/v1alpha1/namespaces/team-a/tenantbackups/nightly',
      '/apis/view.skiff.dev/v1alpha1/namespaces/team-a/backups/nightly/log',
      '/apis/view.skiff.dev/v1alpha1/namespaces/team-a/tenantrestores/x/status',
      '/apis/view.skiff.dev/v2/namespaces/a/tenantbackups/x/log',
      '/api/v1',
    ]) {
      assert.equal(routeOf(path).kind, 'not-found', path);
    }
    assert.equal(routeOf('/apis').kind, 'discovery');
    assert.equal(routeOf('/apis/view.skiff.dev/v1alpha1/').kind, 'discovery');
  });

  test('the resource list has exactly the RBAC subresources, get only, namespaced', () => {
    const list = apiResourceList() as { resources: { name: string; verbs: string[]; namespaced: boolean }[] };
    assert.deepEqual(
      list.resources.map((r) => r.name),
      ['tenantbackups/log', 'tenantbackups/details', 'tenantrestores/log', 'tenantrestores/details'],
    );
    assert.deepEqual(
      [...VIEW_RBAC_RESOURCES],
      list.resources.map((r) => r.name),
    );
    for (const r of list.resources) assert.deepEqual([r.verbs, r.namespaced], [['get'], true]);
  });

  test('every tenant role may get the view subresources', () => {
    for (const role of ['view', 'edit', 'admin'] as const) {
      const rule = tenantRoleRules(role).find((r) => r.apiGroups.includes('view.skiff.dev'));
      assert.deepEqual(rule, { apiGroups: ['view.skiff.dev'], resources: [...VIEW_RBAC_RESOURCES], verbs: ['get'] });
    }
  });
});

describe('view API: content', () => {
  test("the server's names of an operation become the tenant's own", () => {
    const line = 'time="t" level=info msg="backup started" backup=velero/tenant-1234 location=tenant-ns-uid';
    assert.equal(
      rewriteNames(line, [
        ['velero/tenant-1234', 'team-a/nightly'],
        ['tenant-1234', 'nightly'],
      ]),
      'time="t" level=info msg="backup started" backup=team-a/nightly location=tenant-ns-uid',
    );
  });

  test('the self-signed certificate parses, names the Service and the IPs, and matches its key', () => {
    const { certPem } = selfSignedServingCert(['skiff-view-api.velero.svc', 'skiff-view-api'], ['192.0.2.7']);
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'CN=skiff-view-api.velero.svc');
    assert.match(cert.subjectAltName ?? '', /DNS:skiff-view-api\.velero\.svc/);
    assert.match(cert.subjectAltName ?? '', /IP Address:192\.0\.2\.7/);
    assert.ok(cert.checkHost('skiff-view-api.velero.svc'));
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
  });
});
