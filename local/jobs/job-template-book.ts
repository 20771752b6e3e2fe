/**
 * Job templates (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateJobTemplate.html):
 * create, describe, list, delete; a job created with `jobTemplateArn` takes the template's settings.
 */
import { JobsError } from './jobs-error';
import type { JobConfig, JobTemplateRecord } from './job-records';
import type { JobsEngineEvent } from './job-state';

export class JobTemplateBook {
  private readonly byId = new Map<string, JobTemplateRecord>();

  constructor(
    private readonly arn: (resource: string) => string,
    private readonly now: () => number,
    private readonly emit: (event: JobsEngineEvent) => void,
  ) {}

  /** Puts back persisted templates (after a restart). */
  restore(templates: readonly JobTemplateRecord[]): void {
    for (const t of templates) this.byId.set(t.jobTemplateId, t);
  }

  create(jobTemplateId: string, config: JobConfig): JobTemplateRecord {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(jobTemplateId))
      throw new JobsError(
        'InvalidRequestException',
        `jobTemplateId: expected 1 to 64 characters of [a-zA-Z0-9_-], got ${JSON.stringify(jobTemplateId)}`,
      );
    if (this.byId.has(jobTemplateId))
      throw new JobsError('ConflictException', `job template ${jobTemplateId} already exists`);
    if (config.document === undefined && config.documentSource === undefined)
      throw new JobsError(
        'InvalidRequestException',
        'document: a job template needs document or documentSource',
      );
    const template: JobTemplateRecord = {
      ...config,
      jobTemplateId,
      jobTemplateArn: this.arn(`jobtemplate/${jobTemplateId}`),
      createdAt: this.now(),
    };
    this.byId.set(jobTemplateId, template);
    this.emit({ kind: 'template', template });
    return template;
  }

  /** DeleteJobTemplate (jobs created from it keep their copy of its settings). */
  delete(jobTemplateId: string): void {
    this.get(jobTemplateId);
    this.byId.delete(jobTemplateId);
    this.emit({ kind: 'templateDeleted', jobTemplateId });
  }

  get(jobTemplateId: string): JobTemplateRecord {
    const t = this.byId.get(jobTemplateId);
    if (!t)
      throw new JobsError(
        'ResourceNotFoundException',
        `job template ${jobTemplateId} does not exist`,
      );
    return t;
  }

  /** The template an ARN names (`.../jobtemplate/<id>`). */
  byArn(arn: string): JobTemplateRecord {
    const id = /:jobtemplate\/([^/]+)$/.exec(arn)?.[1];
    if (!id)
      throw new JobsError(
        'InvalidRequestException',
        `jobTemplateArn: ${JSON.stringify(arn)} is not a job template ARN`,
      );
    return this.get(id);
  }

  list(): JobTemplateRecord[] {
    return [...this.byId.values()];
  }
}
