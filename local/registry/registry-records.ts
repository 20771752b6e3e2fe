/**
 * Record shapes of the local registry, field names as the AWS IoT API spells them
 * (DescribeThing, DescribeCertificate, GetPolicy, DescribeProvisioningTemplate).
 */

/** Certificate statuses AWS IoT uses (DescribeCertificate `status`). */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_ACTIVATION';

export interface CertificateRecord {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly status: CertificateStatus;
  /** Epoch milliseconds. */
  readonly creationDate: number;
}

export interface ThingRecord {
  readonly thingName: string;
  readonly thingArn: string;
  readonly thingId: string;
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly thingGroupNames: readonly string[];
  readonly version: number;
}

export interface ThingTypeRecord {
  readonly thingTypeName: string;
  readonly thingTypeArn: string;
  readonly searchableAttributes: readonly string[];
  readonly thingTypeDescription?: string;
}

export interface ThingGroupRecord {
  readonly thingGroupName: string;
  readonly thingGroupArn: string;
  readonly parentGroupName?: string;
  readonly description?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface PolicyRecord {
  readonly policyName: string;
  readonly policyArn: string;
  /** The JSON text, as GetPolicy returns it. */
  readonly policyDocument: string;
}

export interface ProvisioningTemplateRecord {
  readonly templateName: string;
  readonly templateArn: string;
  /** The template body as a JSON string. */
  readonly templateBody: string;
  readonly enabled: boolean;
  readonly provisioningRoleArn?: string;
  readonly preProvisioningHook?: { readonly targetArn: string; readonly payloadVersion?: string };
  readonly type: 'FLEET_PROVISIONING' | 'JITP';
}
