/**
 * Applies a synthesized stack to the local cloud, as `terraform apply` would on AWS: orders the
 * blocks by their references, evaluates each block's expressions, and hands it to the applier for
 * its type. Types nobody applies are collected and reported once (start-up prints them), never
 * silently dropped. Apply is idempotent: policies, types, groups and templates are upserted, and a
 * certificate made from the same CSR is reused (per-address state kept in the registry).
 */
import type { LocalCa } from '../pki/local-ca';
import type { Registry } from '../registry/registry';
import type { ApplyContext, ResourceAppliers } from './resource-applier';
import { evaluateDeep, TerraformExpressionError } from './terraform-expression';
import type { TfBlock, TfJson } from './tf-json';

/** Options for {@link applyStack}. */
export interface ApplyStackOptions {
  readonly tf: TfJson;
  readonly registry: Registry;
  readonly ca: LocalCa;
  readonly appliers: ResourceAppliers;
  /** @defaultValue the aws provider's `region`, else `us-east-1` */
  readonly region?: string;
  readonly accountId: string;
  /** @defaultValue `aws` */
  readonly partition?: string;
}

/** The outcome of an apply. */
export interface AppliedStack {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** Attributes of every block by address (what references resolve to). */
  readonly attributes: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Blocks by type, evaluated (for services that read declarations after apply). */
  readonly blocks: readonly TfBlock[];
  /** Sorted resource/data types in the stack that no applier handles. */
  readonly unknownTypes: readonly string[];
}

const REFERENCE = /\b(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g;

/** Addresses referenced by a block (interpolations and `depends_on`). */
function dependenciesOf(block: TfBlock, all: ReadonlyMap<string, TfBlock>): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      // Only text inside `${...}` (not the `$${` escape) can reference another block.
      for (const m of value.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
        for (const r of m[1].matchAll(REFERENCE)) {
          const address = `${r[1] ?? ''}${r[2]}.${r[3]}`;
          if (all.has(address) && address !== block.address) out.add(address);
        }
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(block.config);
  return out;
}

function order(blocks: ReadonlyMap<string, TfBlock>): TfBlock[] {
  const sorted: TfBlock[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (address: string, chain: string[]): void => {
    const s = state.get(address);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`Terraform JSON: reference cycle ${[...chain, address].join(' -> ')}`);
    state.set(address, 'visiting');
    const block = blocks.get(address)!;
    for (const dep of dependenciesOf(block, blocks)) visit(dep, [...chain, address]);
    state.set(address, 'done');
    sorted.push(block);
  };
  for (const address of blocks.keys()) visit(address, []);
  return sorted;
}

/**
 * Applies `tf` to the registry (see the file header).
 * @throws Error naming the block and attribute when an expression or a resource is invalid
 */
export async function applyStack(options: ApplyStackOptions): Promise<AppliedStack> {
  const { tf, registry, ca, appliers } = options;
  const region = options.region ?? tf.providerRegion ?? 'us-east-1';
  const partition = options.partition ?? 'aws';
  const attributes = new Map<string, Record<string, unknown>>();
  const unknown = new Set<string>();
  const unknownAddresses = new Set<string>();

  const resolveReference = (path: readonly string[]): unknown => {
    let value: unknown;
    let rest: readonly string[];
    if (path[0] === 'path' && (path[1] === 'module' || path[1] === 'root' || path[1] === 'cwd')) {
      return tf.baseDir; // the stack directory is Terraform's working directory and module
    }
    if (path[0] === 'var') {
      value = tf.variables[path[1]];
      rest = path.slice(2);
    } else if (path[0] === 'local') {
      value = evaluateDeep(tf.locals[path[1]], { resolveReference, baseDir: tf.baseDir, where: `local.${path[1]}` });
      rest = path.slice(2);
    } else {
      const isData = path[0] === 'data';
      const address = isData ? `data.${path[1]}.${path[2]}` : `${path[0]}.${path[1]}`;
      const attrs = attributes.get(address);
      if (!attrs) {
        throw new TerraformExpressionError(
          tf.blocks.has(address) ? `reference to ${address} before it was applied` : `reference to ${address}, which the stack does not declare`,
        );
      }
      value = attrs;
      rest = path.slice(isData ? 3 : 2);
    }
    for (const key of rest) {
      if (value === null || typeof value !== 'object') throw new TerraformExpressionError(`cannot read "${key}" of ${path.join('.')}`);
      value = (value as Record<string, unknown>)[key];
    }
    if (value === undefined) {
      // Blocks of types nobody applies (listed at start-up) answer with a visible placeholder, so
      // an IAM policy that names a bucket ARN does not stop the IoT resources from being applied.
      const address = path[0] === 'data' ? path.slice(0, 3).join('.') : path.slice(0, 2).join('.');
      if (unknownAddresses.has(address)) return `(${path.join('.')}: not applied locally)`;
      throw new TerraformExpressionError(`${path.join('.')} has no value locally`);
    }
    return value;
  };

  const evaluated: TfBlock[] = [];
  for (const block of order(tf.blocks)) {
    const key = block.mode === 'data' ? `data.${block.type}` : block.type;
    const applier = appliers[key];
    if (!applier) {
      unknown.add(key);
      unknownAddresses.add(block.address);
      // Unknown blocks still answer references to their literal attributes (`bucket`, `name`...).
      let config: Record<string, unknown> = {};
      try {
        config = evaluateDeep(block.config, { resolveReference, baseDir: tf.baseDir, where: block.address }) as Record<string, unknown>;
      } catch {
        config = {};
      }
      attributes.set(block.address, { id: block.name, ...config });
      continue;
    }
    const config = evaluateDeep(block.config, { resolveReference, baseDir: tf.baseDir, where: block.address }) as Record<string, unknown>;
    evaluated.push({ ...block, config });
    const metaKey = `tf:${block.address}`;
    const ctx: ApplyContext = {
      address: block.address,
      type: block.type,
      name: block.name,
      config,
      region,
      accountId: options.accountId,
      partition,
      registry,
      ca,
      previous: registry.getMeta(metaKey),
      savePrevious: value => registry.setMeta(metaKey, value),
    };
    try {
      attributes.set(block.address, { ...config, ...(await applier(ctx)) });
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(message.includes(block.address) ? message : `${block.address}: ${message}`, { cause: error });
    }
  }
  return { region, accountId: options.accountId, partition, attributes, blocks: evaluated, unknownTypes: [...unknown].sort() };
}
