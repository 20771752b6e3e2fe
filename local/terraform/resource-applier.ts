/**
 * The contract between the apply engine (`apply-stack.ts`) and the code that creates one resource
 * type locally. Other local services (S3, KMS, ...) add their own appliers through
 * `StartLocalCloudOptions.services` without touching the engine.
 */
import type { LocalCa } from '../pki/local-ca';
import type { Registry } from '../registry/registry';

/** What an applier gets: the evaluated configuration and the environment. */
export interface ApplyContext {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  /** The block's configuration with every expression evaluated. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly registry: Registry;
  readonly ca: LocalCa;
  /** Persisted per-address state from the previous apply (for idempotence across restarts). */
  readonly previous: unknown;
  /** Stores per-address state for the next apply. */
  savePrevious(value: unknown): void;
}

/**
 * Creates (or updates) one resource and returns its attributes (what `${type.name.attr}`
 * references resolve to). May be async (key generation, signing).
 */
export type ResourceApplier = (ctx: ApplyContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** Appliers by resource type (`aws_iot_policy`) or data source type (`data.aws_region`). */
export type ResourceAppliers = Readonly<Record<string, ResourceApplier>>;

/** The block value for a nested block cdktf may write as an object or a one-element list. */
export function singleBlock(value: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(value)) return value[0] as Record<string, unknown> | undefined;
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** A required string attribute, or an error naming the resource and attribute. */
export function requireString(ctx: ApplyContext, key: string): string {
  const value = ctx.config[key];
  if (typeof value !== 'string' || value === '') throw new Error(`${ctx.address}: attribute "${key}" must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}
