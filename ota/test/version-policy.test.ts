import { describe, expect, it } from 'vitest';
import { OtaErrorCode } from '../errors/error-code';
import { SecureVersionRollbackError } from '../errors/secure-version-rollback-error';
import { VersionNotNewerError } from '../errors/version-not-newer-error';
import {
  assertVersionPolicy,
  checkVersionPolicy,
  combineFleetStates,
  type FleetVersionState,
} from '../version-policy';

const canary = (
  currentVersion: string | null,
  secureVersion: number | null,
): FleetVersionState => ({
  target: 'thing group "canary"',
  currentVersion,
  secureVersion,
});

describe('version policy', () => {
  it.each([
    ['1.4.1', '1.4.0'],
    ['1.5.0', '1.4.9'],
    ['2.0.0', '1.99.99'],
    ['1.4.0', '1.4.0-rc.2'],
    ['1.4.0-rc.10', '1.4.0-rc.9'],
    ['1.10.0', '1.9.0'],
  ])('allows %s over %s', (version, current) => {
    expect(checkVersionPolicy({ version, secureVersion: 0 }, canary(current, 0))).toEqual([]);
  });

  it.each([
    ['1.4.0', '1.4.0'],
    ['1.3.9', '1.4.0'],
    ['1.4.0-rc.1', '1.4.0'],
    ['1.4.0+build.2', '1.4.0+build.1'],
    ['1.9.0', '1.10.0'],
  ])('refuses %s over %s, naming both versions', (version, current) => {
    const [error] = checkVersionPolicy({ version, secureVersion: 0 }, canary(current, 0));
    expect(error).toBeInstanceOf(VersionNotNewerError);
    expect(error.code).toBe(OtaErrorCode.VersionNotNewer);
    expect(error.message).toBe(
      `release version ${version} is not newer than ${current}, the current release of thing group "canary"`,
    );
  });

  it('allows anything for a target with no release yet', () => {
    expect(checkVersionPolicy({ version: '0.0.1', secureVersion: 0 }, canary(null, null))).toEqual(
      [],
    );
  });

  it('allows an equal or higher secure_version and refuses a lower one, naming both', () => {
    expect(checkVersionPolicy({ version: '1.5.0', secureVersion: 2 }, canary('1.4.0', 2))).toEqual(
      [],
    );
    expect(checkVersionPolicy({ version: '1.5.0', secureVersion: 3 }, canary('1.4.0', 2))).toEqual(
      [],
    );
    const [error] = checkVersionPolicy({ version: '1.5.0', secureVersion: 1 }, canary('1.4.0', 2));
    expect(error).toBeInstanceOf(SecureVersionRollbackError);
    expect(error.code).toBe(OtaErrorCode.SecureVersionRollback);
    expect(error.message).toBe(
      'release secure_version 1 is lower than 2, the secure_version of thing group "canary"',
    );
  });

  it('reports both violations at once, and assert throws the first', () => {
    const violations = checkVersionPolicy(
      { version: '1.0.0', secureVersion: 0 },
      canary('1.4.0', 1),
    );
    expect(violations.map(v => v.constructor)).toEqual([
      VersionNotNewerError,
      SecureVersionRollbackError,
    ]);
    expect(() =>
      assertVersionPolicy({ version: '1.0.0', secureVersion: 0 }, canary('1.4.0', 1)),
    ).toThrow(VersionNotNewerError);
    expect(() =>
      assertVersionPolicy({ version: '1.5.0', secureVersion: 1 }, canary('1.4.0', 1)),
    ).not.toThrow();
  });

  it('combines several groups by their highest version and secure_version', () => {
    const fleet = combineFleetStates('the fleet', [
      { target: 'a', currentVersion: '1.4.0', secureVersion: 1 },
      { target: 'b', currentVersion: null, secureVersion: null },
      { target: 'c', currentVersion: '1.10.0', secureVersion: 0 },
    ]);
    expect(fleet).toEqual({ target: 'the fleet', currentVersion: '1.10.0', secureVersion: 1 });
    expect(() => assertVersionPolicy({ version: '1.9.0', secureVersion: 1 }, fleet)).toThrow(
      'release version 1.9.0 is not newer than 1.10.0, the current release of the fleet',
    );
  });

  it('treats a non-semver version as a programming error', () => {
    expect(() =>
      checkVersionPolicy({ version: 'latest', secureVersion: 0 }, canary(null, null)),
    ).toThrow(TypeError);
  });
});
