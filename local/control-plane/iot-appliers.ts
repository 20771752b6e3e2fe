/**
 * Terraform appliers for what the IoT service reads from the stack:
 * - `aws_iot_event_configurations`: which lifecycle events are published (JOB, JOB_EXECUTION);
 * - `aws_iot_indexing_configuration`: thing indexing mode, connectivity, custom fields;
 * - `aws_cloudformation_stack` holding `AWS::IoT::JobTemplate` resources (infra/job-templates.ts):
 *   the job templates, with CloudFormation's PascalCase properties turned into the API's names
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-jobtemplate.html).
 * The appliers only collect; the service creates the templates once the engine exists.
 */
import type { ResourceAppliers } from '../terraform/resource-applier';
import { singleBlock } from '../terraform/resource-applier';
import type { ThingIndexingConfiguration } from '../fleet-index/fleet-index';
import type { JobEventSettings } from '../jobs/jobs-events';

/** What the appliers collected from the stack. */
export interface IotStackSettings {
  events: JobEventSettings;
  indexing: ThingIndexingConfiguration;
  /** Job templates: id and the CreateJobTemplate-shaped body. */
  jobTemplates: { id: string; body: Record<string, unknown> }[];
}

/** Defaults when the stack declares nothing: events off, indexing off (as in a fresh AWS account). */
export function defaultIotStackSettings(): IotStackSettings {
  return {
    events: { job: false, jobExecution: false },
    indexing: { thingIndexingMode: 'OFF', thingConnectivityIndexingMode: 'OFF', customFields: [] },
    jobTemplates: [],
  };
}

const RENAMES: Readonly<Record<string, string>> = { RetryCriteriaList: 'criteriaList' };

function camel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camel);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        RENAMES[k] ?? k.charAt(0).toLowerCase() + k.slice(1),
        camel(v),
      ]),
    );
  }
  return value;
}

/** The appliers; they fill `settings`. */
export function iotServiceAppliers(settings: IotStackSettings): ResourceAppliers {
  return {
    aws_iot_event_configurations: ctx => {
      const config = (ctx.config.event_configurations ?? {}) as Record<string, unknown>;
      settings.events = { job: config.JOB === true, jobExecution: config.JOB_EXECUTION === true };
      return { id: ctx.region };
    },
    aws_iot_indexing_configuration: ctx => {
      const thing = singleBlock(ctx.config.thing_indexing_configuration) ?? {};
      const fields = (
        Array.isArray(thing.custom_field)
          ? thing.custom_field
          : thing.custom_field
            ? [thing.custom_field]
            : []
      ) as { name: string; type: 'Number' | 'String' | 'Boolean' }[];
      settings.indexing = {
        thingIndexingMode:
          (thing.thing_indexing_mode as ThingIndexingConfiguration['thingIndexingMode']) ?? 'OFF',
        thingConnectivityIndexingMode:
          (thing.thing_connectivity_indexing_mode as ThingIndexingConfiguration['thingConnectivityIndexingMode']) ??
          'OFF',
        customFields: fields.map(f => ({ name: f.name, type: f.type })),
      };
      return { id: ctx.region };
    },
    aws_cloudformation_stack: ctx => {
      const body = ctx.config.template_body;
      const template = JSON.parse(typeof body === 'string' ? body : JSON.stringify(body ?? {})) as {
        Resources?: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const outputs: Record<string, string> = {};
      for (const [logical, resource] of Object.entries(template.Resources ?? {})) {
        if (resource.Type !== 'AWS::IoT::JobTemplate') continue;
        const { jobTemplateId, maintenanceWindows, ...rest } = camel(resource.Properties) as Record<
          string,
          unknown
        >;
        settings.jobTemplates.push({
          id: String(jobTemplateId),
          body: { ...rest, ...(maintenanceWindows ? { maintenanceWindows } : {}) },
        });
        outputs[`${logical}Arn`] =
          `arn:${ctx.partition}:iot:${ctx.region}:${ctx.accountId}:jobtemplate/${String(jobTemplateId)}`;
      }
      return { id: String(ctx.config.name), outputs };
    },
  };
}
