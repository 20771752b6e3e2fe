import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ShadowStore } from '../shadows/shadow-store';

const dirs: string[] = [];
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const desired = (v: number) => ({ state: { desired: { v } } });

describe('ShadowStore named shadows', () => {
  it('lists live named shadows per thing, through updates, deletes and a restart', () => {
    const dir = stateDir();
    const store = new ShadowStore(dir);
    store.update({ thingName: 'a' }, desired(1));
    store.update({ thingName: 'a', shadowName: 'ota' }, desired(1));
    store.update({ thingName: 'a', shadowName: 'config' }, desired(1));
    store.update({ thingName: 'ab', shadowName: 'other' }, desired(1));
    expect(store.namedShadows('a')).toEqual(['config', 'ota']);
    expect(store.namedShadows('ab')).toEqual(['other']);
    expect(store.namedShadows('b')).toEqual([]);

    store.delete({ thingName: 'a', shadowName: 'ota' }, {});
    expect(store.namedShadows('a')).toEqual(['config']);
    store.update({ thingName: 'a', shadowName: 'ota' }, desired(2));
    store.delete({ thingName: 'ab', shadowName: 'other' }, {});
    expect(store.namedShadows('ab')).toEqual([]);
    store.close();

    const reopened = new ShadowStore(dir);
    expect(reopened.namedShadows('a')).toEqual(['config', 'ota']);
    expect(reopened.namedShadows('ab')).toEqual([]);
    reopened.close();
  });
});
