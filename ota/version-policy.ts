/**
 * Version policy for a release: it must be newer than what its target runs, and its
 * `secure_version` must not be lower than the fleet's.
 *
 * - Versions are semantic versions compared by SemVer 2.0.0 precedence (https://semver.org/#spec-item-11):
 *   `1.4.0-rc.1` < `1.4.0` < `1.4.1`; build metadata (`+…`) is ignored, so `1.4.0+b` is not newer
 *   than `1.4.0+a`.
 * - `secure_version` protects anti-rollback: the bootloader refuses an app whose
 *   `secure_version` is below the eFuse value, which only ever rises (`../shared/docs/esp32-image.md`,
 *   "On the device"). Equal is allowed; lower is refused.
 */
import semver from 'semver';
import { SecureVersionRollbackError } from './errors/secure-version-rollback-error';
import { VersionNotNewerError } from './errors/version-not-newer-error';

/** What the target (e.g. a set of thing groups) runs now. */
export interface FleetVersionState {
  /** Human name of the target, used in messages: `thing group "canary"`, `the fleet`. */
  readonly target: string;
  /** Release version the target runs now, or `null` if nothing was released to it yet. */
  readonly currentVersion: string | null;
  /** Highest `secure_version` released to the target, or `null` if none. */
  readonly secureVersion: number | null;
}

/** What is being released. */
export interface CandidateVersion {
  readonly version: string;
  readonly secureVersion: number;
}

/**
 * Every policy violation, as errors (empty when the release is allowed). Use this to report all
 * reasons at once; `assertVersionPolicy` throws the first.
 *
 * @throws TypeError if a version is not a valid semantic version (a programming error: manifests
 *   are validated before they get here)
 */
export function checkVersionPolicy(
  candidate: CandidateVersion,
  fleet: FleetVersionState,
): (VersionNotNewerError | SecureVersionRollbackError)[] {
  if (semver.valid(candidate.version) === null)
    throw new TypeError(`not a semantic version: ${candidate.version}`);
  const violations: (VersionNotNewerError | SecureVersionRollbackError)[] = [];
  if (fleet.currentVersion !== null) {
    if (semver.valid(fleet.currentVersion) === null) {
      throw new TypeError(
        `current version of ${fleet.target} is not a semantic version: ${fleet.currentVersion}`,
      );
    }
    if (!semver.gt(candidate.version, fleet.currentVersion)) {
      violations.push(
        new VersionNotNewerError(candidate.version, fleet.currentVersion, fleet.target),
      );
    }
  }
  if (fleet.secureVersion !== null && candidate.secureVersion < fleet.secureVersion) {
    violations.push(
      new SecureVersionRollbackError(candidate.secureVersion, fleet.secureVersion, fleet.target),
    );
  }
  return violations;
}

/**
 * Throws if the release breaks the policy.
 *
 * @throws VersionNotNewerError `release version 1.3.0 is not newer than 1.4.0, the current release of thing group "canary"`
 * @throws SecureVersionRollbackError `release secure_version 1 is lower than 2, the secure_version of the fleet`
 */
export function assertVersionPolicy(candidate: CandidateVersion, fleet: FleetVersionState): void {
  const [first] = checkVersionPolicy(candidate, fleet);
  if (first !== undefined) throw first;
}

/**
 * The state of several targets combined (a release goes to all of a plan's groups): the highest
 * current version and the highest secure_version among them.
 */
export function combineFleetStates(
  target: string,
  states: readonly FleetVersionState[],
): FleetVersionState {
  let currentVersion: string | null = null;
  let secureVersion: number | null = null;
  for (const s of states) {
    if (
      s.currentVersion !== null &&
      (currentVersion === null || semver.gt(s.currentVersion, currentVersion))
    ) {
      currentVersion = s.currentVersion;
    }
    if (s.secureVersion !== null && (secureVersion === null || s.secureVersion > secureVersion)) {
      secureVersion = s.secureVersion;
    }
  }
  return { target, currentVersion, secureVersion };
}
