/**
 * The devices' MQTT endpoint under the fleet's own domain name: an ACM certificate validated by
 * DNS in the fleet's Route53 zone, an AWS IoT domain configuration (service type DATA) serving it
 * with a TLS 1.2+ security policy, and a CNAME from the domain to the account's `iot:Data-ATS`
 * endpoint. Devices then connect to `mqtt.example.com` and the endpoint can move (account,
 * region) without reflashing them.
 *
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-custom-endpoints-configurable-custom.html
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-endpoints-tls-config.html
 * @see https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
 */
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { DataAwsIotEndpoint } from '@cdktf/provider-aws/lib/data-aws-iot-endpoint';
import { IotDomainConfiguration } from '@cdktf/provider-aws/lib/iot-domain-configuration';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { checkName, NAME_RULES } from './aws-names';

/** Security policies that refuse anything older than TLS 1.2 (from the AWS page above). */
export const TLS12_PLUS_SECURITY_POLICIES = [
  'IoTSecurityPolicy_TLS13_1_3_2022_10',
  'IoTSecurityPolicy_TLS13_1_2_2022_10',
  'IoTSecurityPolicy_TLS12_1_2_2022_10',
] as const;
export type Tls12PlusSecurityPolicy = (typeof TLS12_PLUS_SECURITY_POLICIES)[number];

export interface CustomDomainProps {
  /** e.g. `mqtt.fleet.example.com` */
  readonly domainName: string;
  /** Route53 hosted zone holding `domainName`. */
  readonly hostedZoneId: string;
  readonly domainConfigurationName: string;
  /**
   * TLS security policy of the endpoint. ESP-IDF's mbedTLS speaks TLS 1.2 and 1.3.
   * @default 'IoTSecurityPolicy_TLS13_1_2_2022_10' (TLS 1.2 and 1.3)
   */
  readonly securityPolicy?: Tls12PlusSecurityPolicy;
  /**
   * TTL of the CNAME record.
   * @default 300
   */
  readonly recordTtlSeconds?: number;
}

export class CustomDomain extends Construct {
  /** @attribute the custom domain name */
  public readonly domainName: string;
  /** @attribute the account's ATS data endpoint the domain points at */
  public readonly dataEndpoint: string;
  /** @attribute */
  public readonly certificateArn: string;
  /** @attribute */
  public readonly domainConfigurationArn: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    checkName(NAME_RULES.domainConfigurationName, props.domainConfigurationName);
    if (props.domainConfigurationName.startsWith('iot:')) {
      throw new Error(
        `domainConfigurationName must not start with the reserved prefix iot:, got ${props.domainConfigurationName}`,
      );
    }
    const securityPolicy = props.securityPolicy ?? 'IoTSecurityPolicy_TLS13_1_2_2022_10';
    if (!(TLS12_PLUS_SECURITY_POLICIES as readonly string[]).includes(securityPolicy)) {
      throw new Error(
        `securityPolicy must be one of ${TLS12_PLUS_SECURITY_POLICIES.join(', ')}, got ${securityPolicy}`,
      );
    }

    const certificate = new AcmCertificate(this, 'Certificate', {
      domainName: props.domainName,
      validationMethod: 'DNS',
      keyAlgorithm: 'RSA_2048',
      lifecycle: { createBeforeDestroy: true },
    });
    // One domain, so one validation option; `domain_validation_options` is a set, hence tolist().
    const option = Fn.element(Fn.tolist(certificate.domainValidationOptions), 0);
    const validationRecord = new Route53Record(this, 'ValidationRecord', {
      zoneId: props.hostedZoneId,
      name: Fn.lookup(option, 'resource_record_name'),
      type: Fn.lookup(option, 'resource_record_type'),
      records: [Fn.lookup(option, 'resource_record_value')],
      ttl: 60,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, 'Validation', {
      certificateArn: certificate.arn,
      validationRecordFqdns: [validationRecord.fqdn],
    });

    const domainConfiguration = new IotDomainConfiguration(this, 'DomainConfiguration', {
      name: props.domainConfigurationName,
      domainName: props.domainName,
      serviceType: 'DATA',
      serverCertificateArns: [validation.certificateArn],
      tlsConfig: { securityPolicy },
      status: 'ENABLED',
    });

    const endpoint = new DataAwsIotEndpoint(this, 'DataEndpoint', { endpointType: 'iot:Data-ATS' });
    new Route53Record(this, 'EndpointRecord', {
      zoneId: props.hostedZoneId,
      name: props.domainName,
      type: 'CNAME',
      records: [endpoint.endpointAddress],
      ttl: props.recordTtlSeconds ?? 300,
      dependsOn: [domainConfiguration],
    });

    this.domainName = props.domainName;
    this.dataEndpoint = endpoint.endpointAddress;
    this.certificateArn = validation.certificateArn;
    this.domainConfigurationArn = domainConfiguration.arn;
  }
}
