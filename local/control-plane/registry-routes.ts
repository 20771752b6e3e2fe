/**
 * Registry and fleet-index operations of `@aws-sdk/client-iot` (API reference:
 * API_DescribeThing, API_ListThings, API_ListThingsInThingGroup, API_AddThingToThingGroup,
 * API_RemoveThingFromThingGroup,
 * API_CreateThingGroup, API_DescribeThingGroup, API_ListThingGroups, API_DescribeEndpoint,
 * API_SearchIndex, API_GetStatistics, API_GetBucketsAggregation).
 */
import { createHash } from 'node:crypto';
import { JobsError } from '../jobs/jobs-error';
import type { ThingGroupRecord } from '../registry/registry-records';
import { groupMembers, paginate, type IotContext } from './iot-context';
import { iotRoute, type RestRoute } from './rest-json-router';

const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** A stable id for a group (the registry keeps none): a UUID-shaped hash of its ARN. */
function groupId(arn: string): string {
  const h = createHash('sha256').update(arn).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function nameFrom(
  value: unknown,
  arn: unknown,
  kind: 'thing' | 'thinggroup',
  field: string,
): string {
  const name =
    typeof value === 'string'
      ? value
      : typeof arn === 'string'
        ? new RegExp(`:${kind}/([^/]+)$`).exec(arn)?.[1]
        : undefined;
  if (!name || !NAME.test(name))
    throw new JobsError(
      'InvalidRequestException',
      `${field}: give a name (1-128 characters of [a-zA-Z0-9:_-]) or an ARN`,
    );
  return name;
}

/** The routes, bound to the IoT context. */
export function registryRoutes(ctx: IotContext): RestRoute[] {
  const { registry } = ctx;
  const iot = iotRoute;
  const thing = (name: string) => {
    const t = registry.getThing(name);
    if (!t) throw new JobsError('ResourceNotFoundException', `Thing ${name} cannot be found.`);
    return t;
  };
  const group = (name: string): ThingGroupRecord => {
    const g = registry.getThingGroup(name);
    if (!g)
      throw new JobsError('ResourceNotFoundException', `Thing group ${name} cannot be found.`);
    return g;
  };
  /**
   * AddThingToThingGroup / RemoveThingFromThingGroup (group by name or ARN, thing by name or ARN).
   * Registry.putThing notifies the jobs engine: a CONTINUOUS job reaches a new member, and QUEUED
   * executions that targeted the thing through the group it left become REMOVED.
   */
  const setMembership = (body: Record<string, unknown>, member: boolean) => {
    const groupName = nameFrom(
      body.thingGroupName,
      body.thingGroupArn,
      'thinggroup',
      'thingGroupName',
    );
    const thingName = nameFrom(body.thingName, body.thingArn, 'thing', 'thingName');
    group(groupName);
    const t = thing(thingName);
    if (t.thingGroupNames.includes(groupName) !== member)
      registry.putThing({
        thingName,
        thingTypeName: t.thingTypeName,
        attributes: { ...t.attributes },
        thingGroupNames: member
          ? [...t.thingGroupNames, groupName]
          : t.thingGroupNames.filter(g => g !== groupName),
      });
    return {};
  };
  return [
    iot('DescribeThing', 'GET', '/things/{thingName}', ({ params }) => {
      const t = thing(params.thingName);
      return {
        defaultClientId: t.thingName,
        thingName: t.thingName,
        thingId: t.thingId,
        thingArn: t.thingArn,
        ...(t.thingTypeName ? { thingTypeName: t.thingTypeName } : {}),
        attributes: t.attributes,
        version: t.version,
      };
    }),
    iot('ListThings', 'GET', '/things', ({ query }) => {
      const name = query.get('attributeName');
      const value = query.get('attributeValue');
      const type = query.get('thingTypeName');
      const things = registry
        .listThings()
        .filter(
          t =>
            (!name || (value === null ? name in t.attributes : t.attributes[name] === value)) &&
            (!type || t.thingTypeName === type),
        )
        .sort((a, b) => (a.thingName < b.thingName ? -1 : 1));
      const { page, nextToken } = paginate(things, query.get('maxResults'), query.get('nextToken'));
      return {
        things: page.map(t => ({
          thingName: t.thingName,
          thingArn: t.thingArn,
          attributes: t.attributes,
          version: t.version,
          ...(t.thingTypeName ? { thingTypeName: t.thingTypeName } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }),
    iot(
      'ListThingsInThingGroup',
      'GET',
      '/thing-groups/{thingGroupName}/things',
      ({ params, query }) => {
        group(params.thingGroupName);
        const names =
          query.get('recursive') === 'true'
            ? groupMembers(registry, params.thingGroupName)
            : registry
                .listThings()
                .filter(t => t.thingGroupNames.includes(params.thingGroupName))
                .map(t => t.thingName);
        const { page, nextToken } = paginate(
          names.sort(),
          query.get('maxResults'),
          query.get('nextToken'),
        );
        return { things: page, ...(nextToken ? { nextToken } : {}) };
      },
    ),
    iot('AddThingToThingGroup', 'PUT', '/thing-groups/addThingToThingGroup', ({ body }) =>
      setMembership(body, true),
    ),
    iot('RemoveThingFromThingGroup', 'PUT', '/thing-groups/removeThingFromThingGroup', ({ body }) =>
      setMembership(body, false),
    ),
    iot('CreateThingGroup', 'POST', '/thing-groups/{thingGroupName}', ({ params, body }) => {
      const name = params.thingGroupName;
      if (!NAME.test(name))
        throw new JobsError(
          'InvalidRequestException',
          `thingGroupName: expected 1-128 characters of [a-zA-Z0-9:_-], got ${JSON.stringify(name)}`,
        );
      const props = (body.thingGroupProperties ?? {}) as {
        thingGroupDescription?: string;
        attributePayload?: { attributes?: Record<string, string> };
      };
      const parent = typeof body.parentGroupName === 'string' ? body.parentGroupName : undefined;
      if (parent) group(parent);
      const existing = registry.getThingGroup(name);
      const record = {
        thingGroupName: name,
        parentGroupName: parent,
        description: props.thingGroupDescription,
        attributes: props.attributePayload?.attributes ?? {},
      };
      if (existing) {
        // CreateThingGroup is idempotent for the same properties (API_CreateThingGroup).
        if (
          existing.parentGroupName !== parent ||
          (existing.description ?? undefined) !== props.thingGroupDescription ||
          JSON.stringify(existing.attributes) !== JSON.stringify(record.attributes)
        ) {
          throw new JobsError(
            'ResourceAlreadyExistsException',
            `Thing group ${name} already exists with different properties.`,
          );
        }
      }
      const g = existing ?? registry.putThingGroup(record);
      return {
        thingGroupName: g.thingGroupName,
        thingGroupArn: g.thingGroupArn,
        thingGroupId: groupId(g.thingGroupArn),
      };
    }),
    iot('DescribeThingGroup', 'GET', '/thing-groups/{thingGroupName}', ({ params }) => {
      const g = group(params.thingGroupName);
      return {
        thingGroupName: g.thingGroupName,
        thingGroupId: groupId(g.thingGroupArn),
        thingGroupArn: g.thingGroupArn,
        version: 1,
        status: 'ACTIVE',
        thingGroupProperties: {
          ...(g.description ? { thingGroupDescription: g.description } : {}),
          attributePayload: { attributes: g.attributes },
        },
        thingGroupMetadata: {
          ...(g.parentGroupName ? { parentGroupName: g.parentGroupName } : {}),
        },
      };
    }),
    iot('ListThingGroups', 'GET', '/thing-groups', ({ query }) => {
      const parent = query.get('parentGroup');
      const prefix = query.get('namePrefixFilter');
      const groups = registry
        .listThingGroups()
        .filter(
          g =>
            (!parent || g.parentGroupName === parent) &&
            (!prefix || g.thingGroupName.startsWith(prefix)),
        )
        .sort((a, b) => (a.thingGroupName < b.thingGroupName ? -1 : 1));
      const { page, nextToken } = paginate(groups, query.get('maxResults'), query.get('nextToken'));
      return {
        thingGroups: page.map(g => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn })),
        ...(nextToken ? { nextToken } : {}),
      };
    }),
    iot('DescribeEndpoint', 'GET', '/endpoint', ({ query }) => {
      const type = query.get('endpointType') ?? 'iot:Data';
      const address = ctx.endpoints[type];
      if (!address)
        throw new JobsError(
          'InvalidRequestException',
          `endpointType ${type}: the local cloud serves ${Object.keys(ctx.endpoints).join(', ')}`,
        );
      return { endpointAddress: address };
    }),
    iot('SearchIndex', 'POST', '/indices/search', ({ body }) => ctx.index.search(body)),
    iot('GetStatistics', 'POST', '/indices/statistics', ({ body }) => ctx.index.statistics(body)),
    iot('GetBucketsAggregation', 'POST', '/indices/buckets', ({ body }) => ctx.index.buckets(body)),
  ];
}
