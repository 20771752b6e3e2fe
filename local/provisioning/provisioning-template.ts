/**
 * The fleet provisioning template language, evaluated purely: a template body, the request's
 * parameters (after the pre-provisioning hook's overrides) and the certificate id from the
 * ownership token go in; a plan of what to create comes out, or a {@link TemplateError}.
 * Nothing is created here — the RegisterThing handler validates the plan against the registry
 * first and only then applies it.
 *
 * Covered (https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html):
 * `Parameters` (Type, Default), `Mappings`, `Conditions`, `Resources` of type `AWS::IoT::Thing`
 * (ThingName, AttributePayload, ThingTypeName, ThingGroups, BillingGroup, OverrideSettings),
 * `AWS::IoT::Certificate` (CertificateId, Status), `AWS::IoT::Policy` (PolicyName or
 * PolicyDocument), a resource's `Condition`, and `DeviceConfiguration` (flat). Intrinsics: `Ref`,
 * `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Sub`, and the condition functions
 * `Fn::If`, `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`. The only pseudo parameter fleet
 * provisioning supplies is `AWS::IoT::Certificate::Id`; a `Ref` to anything else undeclared fails
 * with AWS's message "Cannot resolve reference value: <name>".
 */
import { createHash } from 'node:crypto';

/** Thrown for an invalid template or parameters; `errorCode` is what the device receives. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly errorCode = 'InvalidParameters';
}

export type OverrideAction = 'DO_NOTHING' | 'REPLACE' | 'FAIL' | 'MERGE';

/** What a template asks for. */
export interface ProvisioningPlan {
  readonly thing?: {
    readonly thingName: string;
    readonly thingTypeName?: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly thingGroups: readonly string[];
    readonly billingGroup?: string;
    readonly overrides: { readonly AttributePayload?: OverrideAction; readonly ThingTypeName?: OverrideAction; readonly ThingGroups?: OverrideAction };
  };
  readonly certificate?: { readonly certificateId: string; readonly status: 'ACTIVE' | 'INACTIVE' };
  readonly policies: readonly ({ readonly policyName: string; readonly policyDocument?: string })[];
  readonly deviceConfiguration: Readonly<Record<string, string>>;
}

/** Inputs of {@link evaluateProvisioningTemplate}. */
export interface TemplateInput {
  /** The template body (parsed JSON). */
  readonly body: unknown;
  readonly parameters: Readonly<Record<string, string>>;
  readonly certificateId: string;
}

type Json = unknown;

class Evaluator {
  readonly values = new Map<string, string>();
  readonly conditions = new Map<string, boolean>();
  constructor(
    readonly mappings: Record<string, Record<string, Record<string, Json>>>,
    readonly conditionDefs: Record<string, Json>,
  ) {}

  fail(message: string): never {
    throw new TemplateError(message);
  }

  ref(name: unknown): string {
    if (typeof name !== 'string') this.fail(`Ref expects a parameter name, got ${JSON.stringify(name)}`);
    const value = this.values.get(name);
    if (value === undefined) this.fail(`Cannot resolve reference value: ${name}`);
    return value;
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    if (!(name in this.conditionDefs)) this.fail(`Condition ${name} is not declared in the Conditions section`);
    const result = this.bool(this.conditionDefs[name]);
    this.conditions.set(name, result);
    return result;
  }

  bool(node: Json): boolean {
    if (typeof node === 'boolean') return node;
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      const [fn, arg] = Object.entries(node)[0] ?? [];
      const args = Array.isArray(arg) ? arg : [arg];
      switch (fn) {
        case 'Fn::Equals':
          return this.value(args[0]) === this.value(args[1]);
        case 'Fn::Not':
          return !this.bool(args[0]);
        case 'Fn::And':
          return args.every(a => this.bool(a));
        case 'Fn::Or':
          return args.some(a => this.bool(a));
        case 'Condition':
          return this.condition(String(arg));
      }
    }
    return this.fail(`expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), got ${JSON.stringify(node)}`);
  }

  /** Evaluates intrinsics anywhere in a JSON value. */
  value(node: Json): Json {
    if (Array.isArray(node)) return node.map(n => this.value(n));
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      const args = Array.isArray(arg) ? arg : [arg];
      switch (fn) {
        case 'Ref':
          return this.ref(arg);
        case 'Fn::Join': {
          const [sep, list] = args as [unknown, unknown];
          const items = this.value(list);
          if (typeof sep !== 'string' || !Array.isArray(items)) this.fail('Fn::Join expects [delimiter, [values...]]');
          return items.map(v => this.str(v, 'Fn::Join')).join(sep);
        }
        case 'Fn::Select': {
          const index = Number(this.value(args[0]));
          const list = this.value(args[1]);
          if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length || list[index] == null) {
            this.fail(`Fn::Select index ${String(args[0])} is out of bounds or selects a null value`);
          }
          return list[index];
        }
        case 'Fn::Split': {
          const sep = this.str(this.value(args[0]), 'Fn::Split');
          return this.str(this.value(args[1]), 'Fn::Split').split(sep);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = args.map(a => this.str(this.value(a), 'Fn::FindInMap'));
          const found = this.mappings[map]?.[top]?.[second];
          if (found === undefined) this.fail(`Fn::FindInMap: no value for ${map}.${top}.${second}`);
          return found;
        }
        case 'Fn::Sub': {
          const template = this.str(args[0], 'Fn::Sub');
          const vars = (args[1] ?? {}) as Record<string, Json>;
          return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) => (name in vars ? this.str(this.value(vars[name]), 'Fn::Sub') : this.ref(name)));
        }
        case 'Fn::If': {
          const [cond, yes, no] = args as [string, Json, Json];
          return this.condition(cond) ? this.value(yes) : this.value(no);
        }
      }
      if (fn.startsWith('Fn::')) this.fail(`intrinsic function ${fn} is not supported in provisioning templates`);
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of entries) out[k] = this.value(v);
    return out;
  }

  str(value: Json, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail(`${where}: expected a string, got ${JSON.stringify(value)}`);
  }
}

function object(value: unknown, where: string): Record<string, Json> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TemplateError(`${where} must be a JSON object`);
  return value as Record<string, Json>;
}

/**
 * Evaluates a provisioning template (see the file header).
 * @throws TemplateError with AWS's `InvalidParameters` code and a message naming the field
 */
export function evaluateProvisioningTemplate(input: TemplateInput): ProvisioningPlan {
  const body = object(input.body, 'template body');
  const ev = new Evaluator(object(body.Mappings, 'Mappings') as never, object(body.Conditions, 'Conditions'));
  ev.values.set('AWS::IoT::Certificate::Id', input.certificateId);
  for (const [name, def] of Object.entries(object(body.Parameters, 'Parameters'))) {
    const given = input.parameters[name];
    const fallback = (def as Record<string, unknown> | null)?.Default;
    if (name === 'AWS::IoT::Certificate::Id') continue;
    if (given !== undefined) ev.values.set(name, given);
    else if (fallback !== undefined) ev.values.set(name, String(fallback));
    // A declared parameter without value or default fails only when referenced ("Cannot resolve").
  }

  let thing: ProvisioningPlan['thing'];
  let certificate: ProvisioningPlan['certificate'];
  const policies: { policyName: string; policyDocument?: string }[] = [];
  for (const [logicalName, raw] of Object.entries(object(body.Resources, 'Resources'))) {
    const resource = object(raw, `Resources.${logicalName}`);
    if (typeof resource.Condition === 'string' && !ev.condition(resource.Condition)) continue;
    const props = object(ev.value(resource.Properties), `Resources.${logicalName}.Properties`);
    switch (resource.Type) {
      case 'AWS::IoT::Thing': {
        const attributes: Record<string, string> = {};
        for (const [k, v] of Object.entries(object(props.AttributePayload, `${logicalName}.AttributePayload`))) attributes[k] = ev.str(v, `${logicalName}.AttributePayload.${k}`);
        const groups = props.ThingGroups === undefined ? [] : props.ThingGroups;
        if (!Array.isArray(groups)) throw new TemplateError(`${logicalName}.ThingGroups must be a list`);
        thing = {
          thingName: ev.str(props.ThingName, `${logicalName}.ThingName`),
          thingTypeName: props.ThingTypeName === undefined ? undefined : ev.str(props.ThingTypeName, `${logicalName}.ThingTypeName`),
          attributes,
          thingGroups: groups.map(g => ev.str(g, `${logicalName}.ThingGroups`)),
          billingGroup: props.BillingGroup === undefined ? undefined : ev.str(props.BillingGroup, `${logicalName}.BillingGroup`),
          overrides: object(resource.OverrideSettings, `${logicalName}.OverrideSettings`) as never,
        };
        break;
      }
      case 'AWS::IoT::Certificate': {
        const id = ev.str(props.CertificateId, `${logicalName}.CertificateId`);
        if (id !== input.certificateId) throw new TemplateError(`${logicalName}.CertificateId does not name the certificate of the ownership token`);
        const status = props.Status === undefined ? 'ACTIVE' : ev.str(props.Status, `${logicalName}.Status`).toUpperCase();
        if (status !== 'ACTIVE' && status !== 'INACTIVE') throw new TemplateError(`${logicalName}.Status must be ACTIVE or INACTIVE, got ${status}`);
        certificate = { certificateId: id, status };
        break;
      }
      case 'AWS::IoT::Policy': {
        const hasName = props.PolicyName !== undefined;
        const hasDoc = props.PolicyDocument !== undefined;
        if (hasName === hasDoc) throw new TemplateError(`${logicalName}: exactly one of PolicyName and PolicyDocument must be given`);
        if (hasName) policies.push({ policyName: ev.str(props.PolicyName, `${logicalName}.PolicyName`) });
        else {
          const doc = typeof props.PolicyDocument === 'string' ? props.PolicyDocument : JSON.stringify(props.PolicyDocument);
          // "PolicyName: Optional. Defaults to a hash of the policy document."
          policies.push({ policyName: createHash('sha256').update(doc).digest('hex'), policyDocument: doc });
        }
        break;
      }
      default:
        throw new TemplateError(`Resources.${logicalName}: type ${JSON.stringify(resource.Type)} is not one of AWS::IoT::Thing, AWS::IoT::Certificate, AWS::IoT::Policy`);
    }
  }

  const deviceConfiguration: Record<string, string> = {};
  for (const [k, v] of Object.entries(object(ev.value(body.DeviceConfiguration), 'DeviceConfiguration'))) {
    if (v && typeof v === 'object') throw new TemplateError(`DeviceConfiguration.${k}: nested objects are not supported`);
    deviceConfiguration[k] = ev.str(v, `DeviceConfiguration.${k}`);
  }
  return { thing, certificate, policies, deviceConfiguration };
}
