/**
 * Appliers for the AWS IoT (and supporting IAM/Lambda/data-source) resource types the fleet stack
 * declares. Each creates the resource in the local registry and returns the attributes Terraform's
 * AWS provider exports for it (names from the provider's resource docs), so references resolve.
 * IAM resources are accepted and given ARNs but not enforced: the local cloud checks IoT policies,
 * not IAM roles.
 */
import { createHash } from 'node:crypto';
import type { ApplyContext, ResourceAppliers } from './resource-applier';
import { requireString, singleBlock } from './resource-applier';

function asStringRecord(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function iamArn(ctx: ApplyContext, resource: string): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:${resource}`;
}

/** A Lambda function as the local cloud keeps it: enough to run the hook in-process. */
export interface LocalLambda {
  readonly functionName: string;
  readonly arn: string;
  readonly handler?: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** Lambda functions seen during apply, by ARN (filled by the `aws_lambda_function` applier). */
export type LambdaTable = Map<string, LocalLambda>;

/** Builds the appliers; `lambdas` collects functions for the pre-provisioning hook runner. */
export function iotAppliers(lambdas: LambdaTable): ResourceAppliers {
  return {
    'data.aws_caller_identity': ctx => ({ account_id: ctx.accountId, arn: iamArn(ctx, 'root'), user_id: ctx.accountId, id: ctx.accountId }),
    'data.aws_region': ctx => ({ name: ctx.region, region: ctx.region, id: ctx.region, endpoint: `iot.${ctx.region}.amazonaws.com`, description: 'local cloud' }),
    // Devices reach the local broker on the loopback interface; the custom domain is its serverName.
    'data.aws_iot_endpoint': () => ({ endpoint_address: 'localhost', id: 'localhost' }),
    'data.aws_partition': ctx => ({ partition: ctx.partition, id: ctx.partition, dns_suffix: 'amazonaws.com', reverse_dns_prefix: 'com.amazonaws' }),

    aws_iot_policy: ctx => {
      const name = requireString(ctx, 'name');
      const policy = ctx.config.policy;
      const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
      const record = ctx.registry.putPolicy(name, text);
      return { name, id: name, arn: record.policyArn, policy: text, default_version_id: '1' };
    },

    aws_iot_thing_type: ctx => {
      const name = requireString(ctx, 'name');
      const props = singleBlock(ctx.config.properties) ?? {};
      const record = ctx.registry.putThingType({
        thingTypeName: name,
        searchableAttributes: (props.searchable_attributes as string[] | undefined) ?? [],
        thingTypeDescription: props.description as string | undefined,
      });
      return { name, id: name, arn: record.thingTypeArn };
    },

    aws_iot_thing_group: ctx => {
      const name = requireString(ctx, 'name');
      const props = singleBlock(ctx.config.properties) ?? {};
      const payload = singleBlock(props.attribute_payload) ?? {};
      const record = ctx.registry.putThingGroup({
        thingGroupName: name,
        parentGroupName: ctx.config.parent_group_name as string | undefined,
        description: props.description as string | undefined,
        attributes: asStringRecord(payload.attributes, `${ctx.address}.properties.attribute_payload.attributes`),
      });
      return { name, id: name, arn: record.thingGroupArn, version: 1 };
    },

    aws_iot_thing: ctx => {
      const name = requireString(ctx, 'name');
      const record = ctx.registry.putThing({
        thingName: name,
        thingTypeName: ctx.config.thing_type_name as string | undefined,
        attributes: asStringRecord(ctx.config.attributes, `${ctx.address}.attributes`),
      });
      return { name, id: name, arn: record.thingArn, default_client_id: name, version: record.version };
    },

    aws_iot_provisioning_template: ctx => {
      const name = requireString(ctx, 'name');
      const body = ctx.config.template_body;
      const templateBody = typeof body === 'string' ? body : JSON.stringify(body);
      try {
        JSON.parse(templateBody);
      } catch (error) {
        throw new Error(`${ctx.address}: template_body is not JSON: ${(error as Error).message}`);
      }
      const hook = singleBlock(ctx.config.pre_provisioning_hook);
      const record = ctx.registry.putTemplate({
        templateName: name,
        templateBody,
        enabled: ctx.config.enabled === true || ctx.config.enabled === 'true',
        provisioningRoleArn: ctx.config.provisioning_role_arn as string | undefined,
        preProvisioningHook: hook ? { targetArn: String(hook.target_arn), payloadVersion: hook.payload_version as string | undefined } : undefined,
        type: ctx.config.type === 'JITP' ? 'JITP' : 'FLEET_PROVISIONING',
      });
      return { name, id: name, arn: record.templateArn, default_version_id: 1 };
    },

    aws_iot_certificate: async ctx => {
      const status = ctx.config.active === true || ctx.config.active === 'true' ? 'ACTIVE' : 'INACTIVE';
      const csr = ctx.config.csr;
      if (typeof csr !== 'string') {
        throw new Error(`${ctx.address}: only certificates created from a CSR ("csr" attribute) are supported locally`);
      }
      const csrHash = createHash('sha256').update(csr).digest('hex');
      const previous = ctx.previous as { csrHash: string; certificateId: string } | undefined;
      let record = previous?.csrHash === csrHash ? ctx.registry.getCertificate(previous.certificateId) : undefined;
      if (!record) {
        // Same CSR → same certificate across restarts, as Terraform state would keep it.
        const issued = await ctx.ca.signCsr(csr);
        record = ctx.registry.putCertificate(issued.certificateId, issued.certificatePem, status);
        ctx.savePrevious({ csrHash, certificateId: issued.certificateId });
      } else if (record.status !== status) {
        record = ctx.registry.setCertificateStatus(record.certificateId, status);
      }
      return { id: record.certificateId, arn: record.certificateArn, certificate_pem: record.certificatePem, csr };
    },

    aws_iot_policy_attachment: ctx => {
      const policy = requireString(ctx, 'policy');
      const target = requireString(ctx, 'target');
      ctx.registry.attachPolicy(policy, target);
      return { id: `${policy}|${target}`, policy, target };
    },

    aws_iot_thing_principal_attachment: ctx => {
      const thing = requireString(ctx, 'thing');
      const principal = requireString(ctx, 'principal');
      const certificateId = principal.split('/').pop() ?? principal;
      ctx.registry.attachThingPrincipal(thing, certificateId);
      return { id: `${thing}|${principal}`, thing, principal };
    },

    aws_iot_domain_configuration: ctx => {
      const name = requireString(ctx, 'name');
      return { name, id: name, arn: `arn:${ctx.partition}:iot:${ctx.region}:${ctx.accountId}:domainconfiguration/${name}`, domain_name: ctx.config.domain_name, domain_type: 'CUSTOMER_MANAGED' };
    },

    aws_lambda_function: ctx => {
      const functionName = requireString(ctx, 'function_name');
      const arn = `arn:${ctx.partition}:lambda:${ctx.region}:${ctx.accountId}:function:${functionName}`;
      const env = singleBlock(ctx.config.environment);
      lambdas.set(arn, {
        functionName,
        arn,
        handler: ctx.config.handler as string | undefined,
        environment: asStringRecord(env?.variables, `${ctx.address}.environment.variables`),
      });
      return { function_name: functionName, id: functionName, arn, qualified_arn: `${arn}:$LATEST`, invoke_arn: arn, version: '$LATEST' };
    },
    aws_lambda_permission: ctx => ({ id: String(ctx.config.statement_id ?? ctx.name) }),
    aws_cloudwatch_log_group: ctx => {
      const name = String(ctx.config.name ?? ctx.name);
      return { name, id: name, arn: `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:${name}` };
    },
    aws_iam_role: ctx => {
      const name = String(ctx.config.name ?? ctx.name);
      return { name, id: name, arn: iamArn(ctx, `role/${name}`), unique_id: name };
    },
    aws_iam_policy: ctx => {
      const name = String(ctx.config.name ?? ctx.name);
      return { name, id: iamArn(ctx, `policy/${name}`), arn: iamArn(ctx, `policy/${name}`) };
    },
    aws_iam_role_policy: ctx => ({ id: `${String(ctx.config.role)}:${String(ctx.config.name ?? ctx.name)}` }),
    aws_iam_role_policy_attachment: ctx => ({ id: `${String(ctx.config.role)}-${String(ctx.config.policy_arn)}` }),
  };
}
