/**
 * The local fleet index (AWS_Things): documents built on demand from the registry, the classic
 * and named shadows and connectivity, as the stack's `aws_iot_indexing_configuration` says
 * (https://docs.aws.amazon.com/iot/latest/developerguide/managing-fleet-index.html). Answers
 * SearchIndex, GetStatistics and GetBucketsAggregation
 * (https://docs.aws.amazon.com/iot/latest/developerguide/index-aggregate.html). Fields outside the
 * configured modes are refused, and aggregations only use managed or custom fields, as on AWS, so
 * a query that works here works there.
 */
import { JobsError } from '../jobs/jobs-error';
import type { Registry } from '../registry/registry';
import type { ShadowStore } from '../shadows/shadow-store';
import { evaluateIndexQuery, valuesAt, type ThingIndexDocument } from './evaluate-index-query';
import { parseIndexQuery, queryFields } from './index-query';

/** The thing indexing part of `aws_iot_indexing_configuration`. */
export interface ThingIndexingConfiguration {
  readonly thingIndexingMode: 'OFF' | 'REGISTRY' | 'REGISTRY_AND_SHADOW';
  readonly thingConnectivityIndexingMode: 'OFF' | 'STATUS';
  readonly customFields: readonly {
    readonly name: string;
    readonly type: 'Number' | 'String' | 'Boolean';
  }[];
}

/** Connectivity of a thing (MQTT client id = thing name). */
export interface ConnectivityStatus {
  readonly connected: boolean;
  /** Epoch milliseconds of the last connect or disconnect. */
  readonly timestamp: number;
  readonly disconnectReason?: string;
}

/** Managed fields usable in aggregations (managing-index.html "Managed fields"). */
const MANAGED_FIELDS = new Set([
  'thingName',
  'thingId',
  'thingTypeName',
  'thingGroupNames',
  'registry.version',
  'connectivity.connected',
  'connectivity.timestamp',
  'connectivity.disconnectReason',
]);
const THINGS_INDEX = 'AWS_Things';
/** SearchIndex maxResults: 1–500 (API_SearchIndex). */
const MAX_RESULTS = 500;

/** See the file header. */
export class FleetIndex {
  constructor(
    private readonly deps: {
      readonly registry: Registry;
      readonly shadows: ShadowStore;
      readonly connectivity: (thingName: string) => ConnectivityStatus | undefined;
      readonly config: ThingIndexingConfiguration;
    },
  ) {}

  private checkIndex(indexName: string | undefined): void {
    const name = indexName ?? THINGS_INDEX;
    if (name !== THINGS_INDEX)
      throw new JobsError(
        'ResourceNotFoundException',
        `index ${name} does not exist locally (only ${THINGS_INDEX})`,
      );
    if (this.deps.config.thingIndexingMode === 'OFF')
      throw new JobsError(
        'ResourceNotFoundException',
        `index ${THINGS_INDEX} does not exist: thing indexing is OFF in the stack's indexing configuration`,
      );
  }

  private checkField(field: string): void {
    const { thingIndexingMode, thingConnectivityIndexingMode } = this.deps.config;
    if (field.startsWith('shadow.') && thingIndexingMode !== 'REGISTRY_AND_SHADOW')
      throw new JobsError(
        'InvalidQueryException',
        `field ${field}: shadows are not indexed (thingIndexingMode ${thingIndexingMode})`,
      );
    if (field.startsWith('connectivity.') && thingConnectivityIndexingMode !== 'STATUS')
      throw new JobsError(
        'InvalidQueryException',
        `field ${field}: connectivity is not indexed (thingConnectivityIndexingMode ${thingConnectivityIndexingMode})`,
      );
  }

  /** The index document of one thing. */
  document(thingName: string): ThingIndexDocument | undefined {
    const thing = this.deps.registry.getThing(thingName);
    if (!thing) return undefined;
    const { config, shadows, connectivity } = this.deps;
    let shadow: ThingIndexDocument['shadow'];
    if (config.thingIndexingMode === 'REGISTRY_AND_SHADOW') {
      const classic = shadows.read({ thingName });
      const named: Record<string, unknown> = {};
      for (const name of shadows.namedShadows(thingName))
        named[name] = shadows.read({ thingName, shadowName: name })?.state;
      shadow = {
        ...(classic?.state ?? {}),
        ...(Object.keys(named).length > 0 ? { name: named } : {}),
      };
    }
    const conn =
      // A thing that never connected has no connectivity fields.
      config.thingConnectivityIndexingMode === 'STATUS' ? connectivity(thingName) : undefined;
    return {
      thingName: thing.thingName,
      thingId: thing.thingId,
      ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
      thingGroupNames: [...thing.thingGroupNames],
      attributes: { ...thing.attributes },
      ...(shadow ? { shadow } : {}),
      ...(conn ? { connectivity: conn } : {}),
      registry: { version: thing.version },
    };
  }

  private matching(queryString: unknown, indexName: unknown): ThingIndexDocument[] {
    if (typeof queryString !== 'string')
      throw new JobsError('InvalidRequestException', 'queryString: is required');
    this.checkIndex(typeof indexName === 'string' ? indexName : undefined);
    const query = parseIndexQuery(queryString);
    for (const field of queryFields(query)) this.checkField(field);
    const out: ThingIndexDocument[] = [];
    for (const thing of this.deps.registry.listThings()) {
      const doc = this.document(thing.thingName);
      if (doc && evaluateIndexQuery(query, doc)) out.push(doc);
    }
    return out.sort((a, b) => (a.thingName < b.thingName ? -1 : 1));
  }

  /** SearchIndex (API_SearchIndex): things with `shadow` as a JSON string, paginated. */
  search(body: Record<string, unknown>): Record<string, unknown> {
    const docs = this.matching(body.queryString, body.indexName);
    const max = body.maxResults === undefined ? 100 : Number(body.maxResults);
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS)
      throw new JobsError('InvalidRequestException', `maxResults: expected 1 to ${MAX_RESULTS}`);
    const start =
      typeof body.nextToken === 'string'
        ? Number(Buffer.from(body.nextToken, 'base64url').toString())
        : 0;
    if (!Number.isInteger(start) || start < 0)
      throw new JobsError('InvalidRequestException', 'nextToken: not a token this index returned');
    const page = docs.slice(start, start + max);
    return {
      things: page.map(d => ({
        thingName: d.thingName,
        thingId: d.thingId,
        thingTypeName: d.thingTypeName,
        thingGroupNames: d.thingGroupNames,
        attributes: d.attributes,
        ...(d.shadow ? { shadow: JSON.stringify(d.shadow) } : {}),
        ...(d.connectivity ? { connectivity: d.connectivity } : {}),
      })),
      thingGroups: [],
      ...(start + max < docs.length
        ? { nextToken: Buffer.from(String(start + max)).toString('base64url') }
        : {}),
    };
  }

  private checkAggregationField(field: string): 'Number' | 'String' | 'Boolean' {
    this.checkField(field);
    const custom = this.deps.config.customFields.find(f => f.name === field);
    if (custom) return custom.type;
    if (MANAGED_FIELDS.has(field))
      return field === 'registry.version' || field === 'connectivity.timestamp'
        ? 'Number'
        : field === 'connectivity.connected'
          ? 'Boolean'
          : 'String';
    if (field.startsWith('attributes.')) return 'String';
    throw new JobsError(
      'InvalidAggregationException',
      `aggregationField ${field} is neither a managed field nor a custom field of the indexing configuration (${this.deps.config.customFields.map(f => f.name).join(', ') || 'none'})`,
    );
  }

  /** GetStatistics (API_GetStatistics). */
  statistics(body: Record<string, unknown>): Record<string, unknown> {
    const docs = this.matching(body.queryString, body.indexName);
    const field = typeof body.aggregationField === 'string' ? body.aggregationField : undefined;
    if (!field) return { statistics: { count: docs.length } };
    const type = this.checkAggregationField(field);
    const values = docs.map(d => valuesAt(d, field)[0]).filter(v => v !== undefined && v !== null);
    if (type !== 'Number') return { statistics: { count: values.length } };
    const numbers = values.map(Number).filter(Number.isFinite);
    const count = numbers.length;
    if (count === 0) return { statistics: { count: 0 } };
    const sum = numbers.reduce((a, b) => a + b, 0);
    const sumOfSquares = numbers.reduce((a, b) => a + b * b, 0);
    const average = sum / count;
    const variance = sumOfSquares / count - average * average;
    return {
      statistics: {
        count,
        average,
        sum,
        minimum: Math.min(...numbers),
        maximum: Math.max(...numbers),
        sumOfSquares,
        variance,
        stdDeviation: Math.sqrt(variance),
      },
    };
  }

  /** GetBucketsAggregation (API_GetBucketsAggregation, terms aggregation). */
  buckets(body: Record<string, unknown>): Record<string, unknown> {
    const docs = this.matching(body.queryString, body.indexName);
    const field = body.aggregationField;
    if (typeof field !== 'string')
      throw new JobsError('InvalidRequestException', 'aggregationField: is required');
    this.checkAggregationField(field);
    const terms = (
      body.bucketsAggregationType as { termsAggregation?: { maxBuckets?: number } } | undefined
    )?.termsAggregation;
    const maxBuckets = terms?.maxBuckets ?? 10;
    if (!Number.isInteger(maxBuckets) || maxBuckets < 1 || maxBuckets > 10_000)
      throw new JobsError(
        'InvalidRequestException',
        'bucketsAggregationType.termsAggregation.maxBuckets: expected 1 to 10000',
      );
    const counts = new Map<string, number>();
    for (const doc of docs)
      for (const v of new Set(valuesAt(doc, field).map(String)))
        counts.set(v, (counts.get(v) ?? 0) + 1);
    const buckets = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxBuckets)
      .map(([keyValue, count]) => ({ keyValue, count }));
    return { totalCount: docs.length, buckets };
  }
}
