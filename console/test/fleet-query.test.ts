import { describe, expect, it } from 'vitest';
import { FleetFilterError, fleetQuery } from '../server/fleet-query';

describe('fleetQuery', () => {
  it('matches every thing without filters', () => {
    expect(fleetQuery({})).toBe('thingName:*');
    expect(fleetQuery({ search: '  ' })).toBe('thingName:*');
  });

  it('joins search, group and version with AND', () => {
    expect(fleetQuery({ search: '5100', group: 'esp32-fleet-dev-canary', version: '1.4.0' })).toBe(
      'thingName:*5100* AND thingGroupNames:esp32-fleet-dev-canary AND shadow.reported.firmware.version:"1.4.0"',
    );
  });

  it.each([
    [{ search: 'a OR thingName:*' }, /^search: expected part of a thing name/],
    [{ group: 'g) OR (x' }, /^group: expected a thing group name/],
    [{ version: '1.0" OR "' }, /^version: expected a firmware version/],
  ])('refuses a value that would change the query: %j', (filter, message) => {
    expect(() => fleetQuery(filter)).toThrow(FleetFilterError);
    expect(() => fleetQuery(filter)).toThrow(message);
  });
});
