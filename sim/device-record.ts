/**
 * What a virtual device keeps across restarts (its "flash"): identity after provisioning and the
 * firmware it runs. One JSON file per device, `<state-dir>/devices/<serial>.json`, written
 * atomically (temporary file + rename) so a killed run never leaves half a record.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceRecord {
  readonly serial: string;
  readonly thingName?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly certificateId?: string;
  readonly firmware: {
    readonly version: string;
    /** `ota_0` or `ota_1`. */
    readonly slot: string;
    /** SHA-256 of the image in the running slot (`factory` for the image it left the factory with). */
    readonly sha256: string;
  };
  readonly bootsSinceUpdate: number;
}

export class DeviceRecordStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'devices');
    mkdirSync(this.dir, { recursive: true });
  }

  load(serial: string): DeviceRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${serial}.json`), 'utf8')) as DeviceRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(
        `device record ${join(this.dir, `${serial}.json`)} is unreadable: ${String(error)}`,
      );
    }
  }

  save(record: DeviceRecord): void {
    const file = join(this.dir, `${record.serial}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(record));
    renameSync(`${file}.tmp`, file);
  }
}
