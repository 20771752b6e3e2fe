/**
 * Cross-cutting checks over the synthesized Terraform JSON, in the manner of cdk-nag
 * (`src/rules/kms/KMSBackingKeyRotationEnabled.ts`): one rule per file, each looking at one
 * resource at a time and answering compliant, non-compliant (with the reason) or not applicable.
 * They run on the JSON because that is the contract Terraform and the local cloud consume.
 */

export type RuleStatus = 'compliant' | 'non-compliant' | 'not-applicable';

export interface RuleFinding {
  readonly status: RuleStatus;
  /** Why a resource is non-compliant (what and where). */
  readonly reason?: string;
}

/** The parts of `cdk.tf.json` the rules read. */
export interface TerraformJson {
  readonly resource?: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>
  >;
  readonly data?: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>
  >;
}

/** One resource of the stack: `type.name` and its body. */
export interface SynthesizedResource {
  readonly type: string;
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface StackRule {
  /** Kebab-case id, the file's name. */
  readonly id: string;
  readonly description: string;
  check(resource: SynthesizedResource, stack: TerraformJson): RuleFinding;
}

export const COMPLIANT: RuleFinding = { status: 'compliant' };
export const NOT_APPLICABLE: RuleFinding = { status: 'not-applicable' };
export function nonCompliant(reason: string): RuleFinding {
  return { status: 'non-compliant', reason };
}

/** Every resource of a stack, in a stable order. */
export function resourcesOf(stack: TerraformJson): SynthesizedResource[] {
  const resources: SynthesizedResource[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    for (const [name, body] of Object.entries(byName).sort(([a], [b]) => a.localeCompare(b))) {
      resources.push({ type, name, body });
    }
  }
  return resources;
}

/** True when `value` is a Terraform reference to the resource `type.name` (e.g. `${aws_s3_bucket.B.id}`). */
export function refersTo(value: unknown, target: SynthesizedResource): boolean {
  return typeof value === 'string' && value.includes(`\${${target.type}.${target.name}.`);
}
