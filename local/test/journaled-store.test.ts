import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournaledStore } from '../state/journaled-store';
import { tempStateDir } from './local-cloud-harness';

describe('JournaledStore', () => {
  it('replays the journal over the snapshot after a crash (no close)', () => {
    const dir = tempStateDir();
    const store = new JournaledStore(dir);
    store.set('things', 'a', { n: 1 });
    store.set('things', 'b', { n: 2 });
    store.set('things', 'a', null);
    // no close(): the process "crashed"
    const reopened = new JournaledStore(dir);
    expect(reopened.all('things')).toEqual({ b: { n: 2 } });
    reopened.close();
    expect(JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'))).toEqual({ things: { b: { n: 2 } } });
  });

  it('drops a torn final journal line and keeps everything before it', () => {
    const dir = tempStateDir();
    const store = new JournaledStore(dir);
    store.set('c', 'k1', 'v1');
    appendFileSync(join(dir, 'journal.ndjson'), '{"c":"c","k":"k2","v":"v');
    const reopened = new JournaledStore(dir);
    expect(reopened.all('c')).toEqual({ k1: 'v1' });
    reopened.close();
  });

  it('refuses a corrupt line in the middle of the journal, naming the line', () => {
    const dir = tempStateDir();
    const store = new JournaledStore(dir);
    store.set('c', 'k1', 'v1');
    appendFileSync(join(dir, 'journal.ndjson'), 'garbage\n{"c":"c","k":"k2","v":1}\n{"c":"c","k":"k3","v":1}\n');
    expect(() => new JournaledStore(dir)).toThrow(/journal\.ndjson line 2 is corrupt/);
  });
});
