/**
 * A small durable key-value store for the local cloud's registry: named collections of JSON
 * records, kept in memory, persisted as a snapshot (`snapshot.json`, written atomically) plus an
 * append-only journal (`journal.ndjson`, one change per line). Opening replays the journal over
 * the snapshot and compacts; a torn last line (a crash mid-append) is dropped, so a killed process
 * loses at most the change it was writing. Rewriting the whole snapshot on every change would make
 * provisioning 10,000 devices quadratic; appending one line keeps each change O(1).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './write-file-atomic';

/** One change: set (value) or delete (value null) `key` in `collection`. */
export interface StoreChange {
  readonly c: string;
  readonly k: string;
  readonly v: unknown;
}

type Collections = Record<string, Record<string, unknown>>;

/** Compact once the journal holds this many changes (bounds start-up replay time). */
const COMPACT_AFTER_CHANGES = 50_000;

/** See the file header. */
export class JournaledStore {
  private readonly data: Collections = {};
  private readonly snapshotPath: string;
  private readonly journalPath: string;
  private fd: number;
  private changesSinceCompact = 0;

  /** Opens (or creates) the store in `dir`, replaying and compacting its journal. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.snapshotPath = join(dir, 'snapshot.json');
    this.journalPath = join(dir, 'journal.ndjson');
    if (existsSync(this.snapshotPath)) {
      const text = readFileSync(this.snapshotPath, 'utf8');
      try {
        Object.assign(this.data, JSON.parse(text) as Collections);
      } catch (error) {
        throw new Error(`registry snapshot ${this.snapshotPath} is not valid JSON (${(error as Error).message}); move it away to start empty`);
      }
    }
    if (existsSync(this.journalPath)) {
      const lines = readFileSync(this.journalPath, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (!line) continue;
        let change: StoreChange;
        try {
          change = JSON.parse(line) as StoreChange;
        } catch (error) {
          if (i >= lines.length - 2) break; // torn final line from a crash mid-append
          throw new Error(`registry journal ${this.journalPath} line ${i + 1} is corrupt: ${(error as Error).message}`);
        }
        this.applyInMemory(change);
      }
    }
    this.fd = -1;
    this.compact();
  }

  private applyInMemory(change: StoreChange): void {
    const collection = (this.data[change.c] ??= {});
    if (change.v === null) delete collection[change.k];
    else collection[change.k] = change.v;
  }

  /** The record at `key` in `collection`, or undefined. */
  get<T>(collection: string, key: string): T | undefined {
    return this.data[collection]?.[key] as T | undefined;
  }

  /** Every record of `collection` (live view; do not mutate). */
  all<T>(collection: string): Readonly<Record<string, T>> {
    return (this.data[collection] ?? {}) as Record<string, T>;
  }

  /** Sets (or, with `null`, deletes) a record and journals the change before returning. */
  set(collection: string, key: string, value: unknown): void {
    const change: StoreChange = { c: collection, k: key, v: value ?? null };
    writeSync(this.fd, JSON.stringify(change) + '\n');
    this.applyInMemory(change);
    if (++this.changesSinceCompact >= COMPACT_AFTER_CHANGES) this.compact();
  }

  /** Writes a fresh snapshot atomically and starts an empty journal. */
  compact(): void {
    writeFileAtomicSync(this.snapshotPath, JSON.stringify(this.data));
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(this.journalPath, 'w');
    this.changesSinceCompact = 0;
  }

  /** Compacts and closes the journal. */
  close(): void {
    if (this.fd < 0) return;
    this.compact();
    closeSync(this.fd);
    this.fd = -1;
  }
}
