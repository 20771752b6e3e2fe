import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/**
 * A release whose version is not newer (semantic-version precedence) than the version the target
 * already runs. The message names both versions and the target.
 */
export class VersionNotNewerError extends OtaError {
  readonly version: string;
  readonly currentVersion: string;
  readonly target: string;

  constructor(version: string, currentVersion: string, target: string) {
    super(
      OtaErrorCode.VersionNotNewer,
      `release version ${version} is not newer than ${currentVersion}, the current release of ${target}`,
      { field: 'version' },
    );
    this.version = version;
    this.currentVersion = currentVersion;
    this.target = target;
  }
}
