/**
 * What a virtual device keeps across restarts (its "flash"): identity after provisioning and the
 * firmware it runs. One JSON file per device, `<state-dir>/devices/<serial>.json`, written
 * atomically (temporary file + rename) so a killed run never leaves half a record. Writes are
 * asynchronous: thousands of devices share one event loop, and a synchronous write + rename per
 * update blocked all of them (9 % of the simulator's CPU time in a 5,000-device rollout). A device
 * awaits its own write before it goes on, as firmware waits for its flash.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
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

  async save(record: DeviceRecord): Promise<void> {
    const file = join(this.dir, `${record.serial}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(record));
    await rename(`${file}.tmp`, file);
  }
}
