/**
 * The fleet table's filters as one fleet-index query (AWS IoT query syntax,
 * https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html), for SearchIndex and
 * GetStatistics. Pure. Values are limited to the characters thing names, group names and
 * versions use, so a filter can never change the query's structure.
 */

export interface FleetFilter {
  /** Part of a thing name (`*text*`). */
  readonly search?: string;
  /** A thing group the thing is in (exact name). */
  readonly group?: string;
  /** `shadow.reported.firmware.version` (exact). */
  readonly version?: string;
}

/** Thing and group names: 1-128 of `[a-zA-Z0-9:_-]` (API_CreateThing, API_CreateThingGroup). */
const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** Semver as the firmware reports it (docs/device-shadow.md): digits, letters, `.`, `-`, `+`. */
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

/** Thrown for a filter value the query cannot carry; the message names the filter. */
export class FleetFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetFilterError';
  }
}

function check(value: string, pattern: RegExp, name: string, expected: string): string {
  if (!pattern.test(value))
    throw new FleetFilterError(`${name}: expected ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

/** `thingName:*` for no filter; the terms joined with AND otherwise. */
export function fleetQuery(filter: FleetFilter): string {
  const terms: string[] = [];
  const search = filter.search?.trim();
  if (search)
    terms.push(
      `thingName:*${check(search, NAME, 'search', 'part of a thing name (letters, digits, ":", "_" and "-")')}*`,
    );
  if (filter.group)
    terms.push(
      `thingGroupNames:${check(filter.group, NAME, 'group', 'a thing group name (letters, digits, ":", "_" and "-")')}`,
    );
  if (filter.version)
    terms.push(
      `shadow.reported.firmware.version:"${check(filter.version, VERSION, 'version', 'a firmware version such as 1.4.0')}"`,
    );
  return terms.length === 0 ? 'thingName:*' : terms.join(' AND ');
}
