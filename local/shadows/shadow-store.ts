/**
 * Classic and named shadows of every thing, persisted in `<stateDir>/shadows/` (a journaled store,
 * so shadows survive restarts), with the three operations the MQTT topics and the HTTPS data plane
 * share. Returns payloads; publishing is the caller's job.
 */
import { join } from 'node:path';
import { JournaledStore } from '../state/journaled-store';
import {
  applyShadowUpdate,
  deleteShadow,
  parseClientToken,
  parseShadowUpdate,
  shadowGetResponse,
  ShadowError,
  type ShadowRecord,
  type ShadowUpdateResult,
} from './shadow-document';

/** Shadow names: 1–64 characters of `[a-zA-Z0-9:_-]` (API_iotdata_GetThingShadow "shadowName"). */
const SHADOW_NAME = /^[a-zA-Z0-9:_-]{1,64}$/;
/** Thing names: 1–128 characters of `[a-zA-Z0-9:_-]` (API_iotdata_GetThingShadow "thingName"). */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const COLLECTION = 'shadows';

/** Identifies one shadow: the classic one when `shadowName` is undefined. */
export interface ShadowKey {
  readonly thingName: string;
  readonly shadowName?: string;
}

/** The topic prefix of a shadow: `$aws/things/<thing>/shadow[/name/<name>]`. */
export function shadowTopicPrefix(key: ShadowKey): string {
  return `$aws/things/${key.thingName}/shadow${key.shadowName === undefined ? '' : `/name/${key.shadowName}`}`;
}

/** See the file header. */
export class ShadowStore {
  private readonly store: JournaledStore;
  private listener: (key: ShadowKey, record: ShadowRecord) => void = () => {};
  /**
   * Live named shadows per thing, built from the store on first use and kept current by update and
   * delete: the fleet index asks for every thing's named shadows on each query, and a scan of all
   * records per thing made a 10,000-thing SearchIndex quadratic.
   */
  private namedByThing: Map<string, Set<string>> | undefined;

  constructor(
    stateDir: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.store = new JournaledStore(join(stateDir, 'shadows'));
  }

  /** Called after every accepted update or delete (the fleet index listens). */
  onChange(listener: (key: ShadowKey, record: ShadowRecord) => void): void {
    this.listener = listener;
  }

  private id(key: ShadowKey): string {
    if (!THING_NAME.test(key.thingName))
      throw new ShadowError(400, `Invalid thing name: '${key.thingName}'`);
    if (key.shadowName !== undefined && !SHADOW_NAME.test(key.shadowName))
      throw new ShadowError(400, `Invalid shadow name: '${key.shadowName}'`);
    return key.shadowName === undefined ? key.thingName : `${key.thingName}|${key.shadowName}`;
  }

  private label(key: ShadowKey): string {
    return key.shadowName ?? key.thingName;
  }

  private seconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** The stored record (undefined when absent or deleted). */
  read(key: ShadowKey): ShadowRecord | undefined {
    const record = this.store.get<ShadowRecord>(COLLECTION, this.id(key));
    return record && !record.deleted ? record : undefined;
  }

  /** Names of a thing's named shadows. */
  namedShadows(thingName: string): string[] {
    const names = this.namedIndex().get(thingName);
    return names ? [...names].sort() : [];
  }

  private namedIndex(): Map<string, Set<string>> {
    if (!this.namedByThing) {
      this.namedByThing = new Map();
      for (const [id, record] of Object.entries(this.store.all<ShadowRecord>(COLLECTION))) {
        const bar = id.indexOf('|');
        if (bar > 0 && !record.deleted)
          this.noteNamed({ thingName: id.slice(0, bar), shadowName: id.slice(bar + 1) }, record);
      }
    }
    return this.namedByThing;
  }

  private noteNamed(key: ShadowKey, record: ShadowRecord): void {
    if (key.shadowName === undefined || !this.namedByThing) return;
    let names = this.namedByThing.get(key.thingName);
    if (record.deleted) {
      names?.delete(key.shadowName);
      if (names?.size === 0) this.namedByThing.delete(key.thingName);
      return;
    }
    if (!names) this.namedByThing.set(key.thingName, (names = new Set()));
    names.add(key.shadowName);
  }

  get(key: ShadowKey, body: Record<string, unknown>): Record<string, unknown> {
    const token = parseClientToken(body);
    return shadowGetResponse(
      this.store.get<ShadowRecord>(COLLECTION, this.id(key)),
      this.label(key),
      this.seconds(),
      token,
    );
  }

  update(key: ShadowKey, body: Record<string, unknown>): ShadowUpdateResult {
    const id = this.id(key);
    const result = applyShadowUpdate(
      this.store.get<ShadowRecord>(COLLECTION, id),
      parseShadowUpdate(body),
      this.seconds(),
    );
    this.store.set(COLLECTION, id, result.record);
    this.noteNamed(key, result.record);
    this.listener(key, result.record);
    return result;
  }

  delete(key: ShadowKey, body: Record<string, unknown>): Record<string, unknown> {
    const id = this.id(key);
    const token = parseClientToken(body);
    const { record, accepted } = deleteShadow(
      this.store.get<ShadowRecord>(COLLECTION, id),
      this.label(key),
      this.seconds(),
      token,
    );
    this.store.set(COLLECTION, id, record);
    this.noteNamed(key, record);
    this.listener(key, record);
    return accepted;
  }

  close(): void {
    this.store.close();
  }
}
