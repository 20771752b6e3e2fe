import { describe, expect, it } from 'vitest';
import { thingRow } from '../server/thing-row';

describe('thingRow', () => {
  it('reads the reported firmware, OTA result and connectivity of a SearchIndex thing', () => {
    const row = thingRow({
      thingName: 'esp32-dev-51',
      thingGroupNames: ['b', 'a'],
      shadow: JSON.stringify({
        reported: {
          firmware: { version: '1.4.0', slot: 'ota_1' },
          ota: { lastResult: 'FAILED', reason: 'rollback' },
        },
      }),
      connectivity: { connected: false, timestamp: 1767225600000 },
    });
    expect(row).toEqual({
      thingName: 'esp32-dev-51',
      groups: ['a', 'b'],
      version: '1.4.0',
      slot: 'ota_1',
      lastResult: 'FAILED',
      lastReason: 'rollback',
      connected: false,
      connectivityAt: 1767225600000,
    });
  });

  it('takes the last result from ota.lastResult only (the field docs/device-shadow.md names)', () => {
    const of = (ota: object) =>
      thingRow({ thingName: 't', shadow: JSON.stringify({ reported: { ota } }) }).lastResult;
    expect(of({ lastResult: 'SUCCEEDED' })).toBe('SUCCEEDED');
    expect(of({ status: 'SUCCEEDED' })).toBeUndefined();
  });

  it('leaves out what a thing without a shadow or with a broken one does not say', () => {
    expect(thingRow({ thingName: 't' })).toEqual({ thingName: 't', groups: [] });
    expect(thingRow({ thingName: 't', shadow: '{not json' })).toEqual({
      thingName: 't',
      groups: [],
    });
  });
});
