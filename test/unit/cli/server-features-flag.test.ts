import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';
import { Feature, featureEnabled, featureWarnings } from '../../../src/server/features.ts';

const ctx = new CliContext({ namespace: 'velero' });

describe('skiff server --features (reference §10.2)', () => {
  test('EnableAPIGroupVersions reaches the server options and turns the feature on', () => {
    const opts = serverOptions(ctx, { features: 'EnableAPIGroupVersions' });
    assert.deepEqual(opts.features, ['EnableAPIGroupVersions']);
    assert.equal(featureEnabled(opts.features, Feature.EnableAPIGroupVersions), true);
    assert.equal(featureEnabled(serverOptions(ctx, {}).features, Feature.EnableAPIGroupVersions), false);
  });

  test('an unknown feature is refused, naming it (and the near miss)', () => {
    assert.throws(
      () => serverOptions(ctx, { features: 'EnableAPIGroupVersions,enableapigroupversion,Turbo' }),
      (err: unknown) =>
        err instanceof FlagError &&
        err.problems.length === 2 &&
        /unknown feature "enableapigroupversion"/.test(err.problems[0] ?? '') &&
        /unknown feature "Turbo"/.test(err.problems[1] ?? ''),
    );
    assert.throws(
      () => serverOptions(ctx, { features: 'enableapigroupversions' }),
      /did you mean EnableAPIGroupVersions\?/,
    );
  });

  test('a Velero feature Skiff does not act on (EnableCSI) is accepted with a warning naming it', () => {
    const opts = serverOptions(ctx, { features: 'EnableCSI,EnableAPIGroupVersions' });
    assert.deepEqual(opts.features, ['EnableCSI', 'EnableAPIGroupVersions']);
    const warnings = featureWarnings(opts.features ?? []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^--features EnableCSI: Skiff takes CSI snapshots without this feature/);
  });
});
