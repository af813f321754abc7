import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createNew, FlagError } from '../../../src/cli/errors.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';

const target = { method: 'POST', path: '/apis/velero.io/v1/namespaces/velero/schedules' };

describe('createNew', () => {
  test('an object already there becomes the FlagError that names it, not the 409', async () => {
    const exists = new KubeApiError(409, 'AlreadyExists', 'schedules "daily" already exists', target);
    await assert.rejects(
      createNew(() => Promise.reject(exists), 'schedule daily already exists in namespace velero: choose another name'),
      (err: unknown) =>
        err instanceof FlagError &&
        err.message === 'schedule daily already exists in namespace velero: choose another name',
    );
  });

  test('any other failure, a conflict included, passes through as it was', async () => {
    const conflict = new KubeApiError(409, 'Conflict', 'the object has been modified', target);
    await assert.rejects(
      createNew(() => Promise.reject(conflict), 'unused'),
      (err: unknown) => err === conflict,
    );
    assert.equal(await createNew(() => Promise.resolve('created'), 'unused'), 'created');
  });
});
