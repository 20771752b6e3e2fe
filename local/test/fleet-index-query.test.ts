import { describe, expect, it } from 'vitest';
import { evaluateIndexQuery, type ThingIndexDocument } from '../fleet-index/evaluate-index-query';
import { parseIndexQuery } from '../fleet-index/index-query';

const doc = (
  name: string,
  reported: unknown,
  groups: string[] = ['fleet'],
  connected = true,
): ThingIndexDocument => ({
  thingName: name,
  thingId: `id-${name}`,
  thingGroupNames: groups,
  attributes: { serial: name.toUpperCase() },
  shadow: { reported },
  connectivity: { connected, timestamp: 1 },
});

const fleet = [
  doc(
    'a',
    { firmware: { version: '1.4.0' }, health: { crashesSinceUpdate: 0, uptimeSeconds: 100 } },
    ['fleet', 'canary'],
  ),
  doc('b', { firmware: { version: '1.4.0' }, health: { crashesSinceUpdate: 3, uptimeSeconds: 5 } }),
  doc(
    'c',
    { firmware: { version: '1.3.0' }, health: { crashesSinceUpdate: 0, uptimeSeconds: 9000 } },
    ['fleet'],
    false,
  ),
];
const names = (q: string) =>
  fleet.filter(d => evaluateIndexQuery(parseIndexQuery(q), d)).map(d => d.thingName);

// Examples in the shape of https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html
describe('fleet index query syntax', () => {
  it('matches field terms, AND/OR/NOT and implicit AND', () => {
    expect(names('shadow.reported.firmware.version:1.4.0')).toEqual(['a', 'b']);
    expect(names('shadow.reported.firmware.version:1.4.0 AND connectivity.connected:true')).toEqual(
      ['a', 'b'],
    );
    expect(names('thingGroupNames:canary OR connectivity.connected:false')).toEqual(['a', 'c']);
    expect(names('NOT thingGroupNames:canary')).toEqual(['b', 'c']);
    expect(names('thingGroupNames:fleet shadow.reported.health.crashesSinceUpdate:0')).toEqual([
      'a',
      'c',
    ]);
    expect(
      names('(thingName:a OR thingName:b) AND NOT shadow.reported.health.crashesSinceUpdate:0'),
    ).toEqual(['b']);
  });

  it('matches ranges, comparisons and wildcards', () => {
    expect(names('shadow.reported.health.crashesSinceUpdate>0')).toEqual(['b']);
    expect(names('shadow.reported.health.uptimeSeconds:[5 TO 100]')).toEqual(['a', 'b']);
    expect(names('shadow.reported.health.uptimeSeconds:{5 TO 100}')).toEqual([]);
    expect(names('shadow.reported.health.uptimeSeconds:[101 TO *]')).toEqual(['c']);
    expect(names('shadow.reported.firmware.version:1.4*')).toEqual(['a', 'b']);
    expect(names('attributes.serial:?')).toEqual(['a', 'b', 'c']);
    expect(names('shadow.reported.health.uptimeSeconds<=5')).toEqual(['b']);
  });

  it("reads the worker's health-gate queries (quoted values with escapes, timestamp comparisons)", () => {
    expect(
      names(
        '(thingGroupNames:canary OR thingGroupNames:fleet) AND shadow.reported.firmware.version:"1.4.0"',
      ),
    ).toEqual(['a', 'b']);
    expect(
      names(
        'thingGroupNames:fleet AND shadow.reported.firmware.version:"1.4.0" AND shadow.reported.health.crashesSinceUpdate>0',
      ),
    ).toEqual(['b']);
    expect(names('connectivity.connected:false AND connectivity.timestamp<2')).toEqual(['c']);
    expect(names('attributes.serial:"A\\"B" OR thingName:"c"')).toEqual(['c']);
  });

  it('refuses malformed queries with InvalidQueryException naming the position', () => {
    expect(() => parseIndexQuery('thingName:a AND')).toThrow(
      expect.objectContaining({ type: 'InvalidQueryException' }),
    );
    expect(() => parseIndexQuery('(thingName:a')).toThrow(/missing \) for \( at position 0/);
    expect(() => parseIndexQuery('justaword')).toThrow(/expected field:value at position 0/);
    expect(() => parseIndexQuery('x:[1 TO')).toThrow(/unterminated range/);
  });
});
