/**
 * The local AWS IoT registry: things, thing types, thing groups, certificates, policies and their
 * attachments, provisioning templates. Persisted in `<stateDir>/registry/` through a
 * {@link JournaledStore}, so it survives restarts. Lookups the broker makes on every packet
 * (policies of a certificate, things of a certificate) are served from in-memory indexes.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parsePolicyDocument } from '../policy/policy-document';
import type { NamedPolicy } from '../policy/evaluate-policies';
import { JournaledStore } from '../state/journaled-store';
import type {
  CertificateRecord,
  CertificateStatus,
  PolicyRecord,
  ProvisioningTemplateRecord,
  ThingGroupRecord,
  ThingRecord,
  ThingTypeRecord,
} from './registry-records';

const C = {
  things: 'things',
  thingTypes: 'thingTypes',
  thingGroups: 'thingGroups',
  certificates: 'certificates',
  policies: 'policies',
  policyTargets: 'policyTargets',
  thingPrincipals: 'thingPrincipals',
  templates: 'templates',
  retained: 'retained',
  meta: 'meta',
} as const;

/** A lookup that found nothing, named like AWS's exception. */
export class ResourceNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** Region and account that ARNs are built from. */
export interface RegistryScope {
  readonly region: string;
  readonly accountId: string;
}

/** See the file header. */
export class Registry {
  private readonly store: JournaledStore;
  /** certificate ARN → attached policy names */
  private readonly policiesByTarget = new Map<string, Set<string>>();
  /** certificate id → attached thing names */
  private readonly thingsByCertificate = new Map<string, Set<string>>();
  private readonly parsedPolicies = new Map<string, NamedPolicy>();
  /** `policiesFor` answers by principal, dropped whenever they could change. */
  private readonly policySets = new Map<string, readonly NamedPolicy[]>();
  /** Called after every putThing (the jobs engine follows group membership for CONTINUOUS jobs). */
  private readonly thingListeners: ((thing: ThingRecord) => void)[] = [];

  constructor(
    stateDir: string,
    readonly scope: RegistryScope,
  ) {
    this.store = new JournaledStore(join(stateDir, 'registry'));
    for (const { policyName, target } of Object.values(this.store.all<{ policyName: string; target: string }>(C.policyTargets))) {
      this.index(this.policiesByTarget, target, policyName, true);
    }
    for (const { thingName, certificateId } of Object.values(this.store.all<{ thingName: string; certificateId: string }>(C.thingPrincipals))) {
      this.index(this.thingsByCertificate, certificateId, thingName, true);
    }
  }

  private index(map: Map<string, Set<string>>, key: string, value: string, add: boolean): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    if (add) set.add(value);
    else set.delete(value);
  }

  /** `arn:aws:iot:<region>:<account>:<resource>` */
  arn(resource: string): string {
    return `arn:aws:iot:${this.scope.region}:${this.scope.accountId}:${resource}`;
  }

  /** A small persisted key-value area for other parts' bookkeeping (apply state, credentials). */
  getMeta<T>(key: string): T | undefined {
    return this.store.get<T>(C.meta, key);
  }

  setMeta(key: string, value: unknown): void {
    this.store.set(C.meta, key, value);
  }

  // ---- policies
  putPolicy(policyName: string, policyDocument: string): PolicyRecord {
    const parsed = parsePolicyDocument(policyDocument, `policy ${policyName}`); // validate before storing
    const record: PolicyRecord = { policyName, policyArn: this.arn(`policy/${policyName}`), policyDocument };
    this.store.set(C.policies, policyName, record);
    this.parsedPolicies.set(policyName, { name: policyName, document: parsed });
    this.policySets.clear(); // any principal may have this policy attached
    return record;
  }

  getPolicy(policyName: string): PolicyRecord | undefined {
    return this.store.get<PolicyRecord>(C.policies, policyName);
  }

  attachPolicy(policyName: string, target: string): void {
    if (!this.getPolicy(policyName)) throw new ResourceNotFoundError(`AttachPolicy: policy ${policyName} does not exist`);
    this.store.set(C.policyTargets, `${policyName}|${target}`, { policyName, target });
    this.index(this.policiesByTarget, target, policyName, true);
    this.policySets.delete(target);
  }

  /**
   * Parsed policies attached to a principal (certificate ARN). The same frozen array is returned
   * until a policy is created or replaced or the principal's attachments change, so callers may
   * cache decisions per array (see `../broker/policy-decision-cache.ts`).
   */
  policiesFor(target: string): readonly NamedPolicy[] {
    let policies = this.policySets.get(target);
    if (!policies) this.policySets.set(target, (policies = Object.freeze(this.readPolicies(target))));
    return policies;
  }

  private readPolicies(target: string): NamedPolicy[] {
    const names = this.policiesByTarget.get(target);
    if (!names) return [];
    const out: NamedPolicy[] = [];
    for (const name of names) {
      let parsed = this.parsedPolicies.get(name);
      if (!parsed) {
        const record = this.getPolicy(name);
        if (!record) continue;
        parsed = { name, document: parsePolicyDocument(record.policyDocument, `policy ${name}`) };
        this.parsedPolicies.set(name, parsed);
      }
      out.push(parsed);
    }
    return out;
  }

  // ---- certificates
  putCertificate(certificateId: string, certificatePem: string, status: CertificateStatus): CertificateRecord {
    const record: CertificateRecord = {
      certificateId,
      certificateArn: this.arn(`cert/${certificateId}`),
      certificatePem,
      status,
      creationDate: Date.now(),
    };
    this.store.set(C.certificates, certificateId, record);
    return record;
  }

  getCertificate(certificateId: string): CertificateRecord | undefined {
    return this.store.get<CertificateRecord>(C.certificates, certificateId);
  }

  setCertificateStatus(certificateId: string, status: CertificateStatus): CertificateRecord {
    const record = this.getCertificate(certificateId);
    if (!record) throw new ResourceNotFoundError(`UpdateCertificate: certificate ${certificateId} does not exist`);
    const updated = { ...record, status };
    this.store.set(C.certificates, certificateId, updated);
    return updated;
  }

  /** Deletes a certificate with its attachments (an expired, never-registered provisioning certificate). */
  deleteCertificate(certificateId: string): void {
    const record = this.getCertificate(certificateId);
    if (!record) return;
    for (const name of this.policiesByTarget.get(record.certificateArn) ?? []) this.store.set(C.policyTargets, `${name}|${record.certificateArn}`, null);
    this.policiesByTarget.delete(record.certificateArn);
    this.policySets.delete(record.certificateArn);
    for (const thing of this.thingsByCertificate.get(certificateId) ?? []) this.store.set(C.thingPrincipals, `${thing}|${certificateId}`, null);
    this.thingsByCertificate.delete(certificateId);
    this.store.set(C.certificates, certificateId, null);
  }

  // ---- things
  putThing(input: { thingName: string; thingTypeName?: string; attributes?: Record<string, string>; thingGroupNames?: string[] }): ThingRecord {
    const existing = this.getThing(input.thingName);
    if (input.thingTypeName && !this.getThingType(input.thingTypeName)) {
      throw new ResourceNotFoundError(`thing ${input.thingName}: thing type ${input.thingTypeName} does not exist`);
    }
    for (const group of input.thingGroupNames ?? []) {
      if (!this.getThingGroup(group)) throw new ResourceNotFoundError(`thing ${input.thingName}: thing group ${group} does not exist`);
    }
    const record: ThingRecord = {
      thingName: input.thingName,
      thingArn: this.arn(`thing/${input.thingName}`),
      thingId: existing?.thingId ?? randomUUID(),
      thingTypeName: input.thingTypeName,
      attributes: input.attributes ?? {},
      thingGroupNames: input.thingGroupNames ?? [],
      version: (existing?.version ?? 0) + 1,
    };
    this.store.set(C.things, input.thingName, record);
    for (const listener of this.thingListeners) listener(record);
    return record;
  }

  /** Registers a listener called after every putThing. */
  onThingChanged(listener: (thing: ThingRecord) => void): void {
    this.thingListeners.push(listener);
  }

  getThing(thingName: string): ThingRecord | undefined {
    return this.store.get<ThingRecord>(C.things, thingName);
  }

  listThings(): ThingRecord[] {
    return Object.values(this.store.all<ThingRecord>(C.things));
  }

  attachThingPrincipal(thingName: string, certificateId: string): void {
    if (!this.getThing(thingName)) throw new ResourceNotFoundError(`AttachThingPrincipal: thing ${thingName} does not exist`);
    if (!this.getCertificate(certificateId)) throw new ResourceNotFoundError(`AttachThingPrincipal: certificate ${certificateId} does not exist`);
    this.store.set(C.thingPrincipals, `${thingName}|${certificateId}`, { thingName, certificateId });
    this.index(this.thingsByCertificate, certificateId, thingName, true);
  }

  /** Names of the things a certificate is attached to. */
  thingsOf(certificateId: string): ReadonlySet<string> {
    return this.thingsByCertificate.get(certificateId) ?? new Set();
  }

  // ---- thing types and groups
  putThingType(record: Omit<ThingTypeRecord, 'thingTypeArn'>): ThingTypeRecord {
    const full = { ...record, thingTypeArn: this.arn(`thingtype/${record.thingTypeName}`) };
    this.store.set(C.thingTypes, record.thingTypeName, full);
    return full;
  }

  getThingType(name: string): ThingTypeRecord | undefined {
    return this.store.get<ThingTypeRecord>(C.thingTypes, name);
  }

  putThingGroup(record: Omit<ThingGroupRecord, 'thingGroupArn'>): ThingGroupRecord {
    const full = { ...record, thingGroupArn: this.arn(`thinggroup/${record.thingGroupName}`) };
    this.store.set(C.thingGroups, record.thingGroupName, full);
    return full;
  }

  getThingGroup(name: string): ThingGroupRecord | undefined {
    return this.store.get<ThingGroupRecord>(C.thingGroups, name);
  }

  listThingGroups(): ThingGroupRecord[] {
    return Object.values(this.store.all<ThingGroupRecord>(C.thingGroups));
  }

  // ---- provisioning templates
  putTemplate(record: Omit<ProvisioningTemplateRecord, 'templateArn'>): ProvisioningTemplateRecord {
    const full = { ...record, templateArn: this.arn(`provisioningtemplate/${record.templateName}`) };
    this.store.set(C.templates, record.templateName, full);
    return full;
  }

  getTemplate(name: string): ProvisioningTemplateRecord | undefined {
    return this.store.get<ProvisioningTemplateRecord>(C.templates, name);
  }

  listTemplates(): ProvisioningTemplateRecord[] {
    return Object.values(this.store.all<ProvisioningTemplateRecord>(C.templates));
  }

  // ---- retained messages (AWS keeps them; so do we, across restarts)
  putRetained(topic: string, payload: Buffer | null, qos: number): void {
    this.store.set(C.retained, topic, payload && payload.length > 0 ? { topic, payload: payload.toString('base64'), qos } : null);
  }

  listRetained(): { topic: string; payload: Buffer; qos: number }[] {
    return Object.values(this.store.all<{ topic: string; payload: string; qos: number }>(C.retained)).map(r => ({
      topic: r.topic,
      payload: Buffer.from(r.payload, 'base64'),
      qos: r.qos,
    }));
  }

  /** Compacts the journal into a snapshot and closes it. */
  close(): void {
    this.store.close();
  }
}
