import { OtaErrorCode } from './error-code';
import { OtaError } from './ota-error';

/**
 * A release whose `secure_version` is lower than the fleet's: devices with anti-rollback enabled
 * would refuse to boot it (the eFuse value only goes up; `../shared/docs/esp32-image.md`, "On the
 * device"). The message names both values and the target.
 */
export class SecureVersionRollbackError extends OtaError {
  readonly secureVersion: number;
  readonly fleetSecureVersion: number;
  readonly target: string;

  constructor(secureVersion: number, fleetSecureVersion: number, target: string) {
    super(
      OtaErrorCode.SecureVersionRollback,
      `release secure_version ${secureVersion} is lower than ${fleetSecureVersion}, the secure_version of ${target}`,
      { field: 'secureVersion' },
    );
    this.secureVersion = secureVersion;
    this.fleetSecureVersion = fleetSecureVersion;
    this.target = target;
  }
}
