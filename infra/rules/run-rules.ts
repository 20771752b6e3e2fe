/** Runs stack rules over every resource of a synthesized stack. */
import { ALL_RULES } from './all-rules';
import { resourcesOf, type RuleStatus, type StackRule, type TerraformJson } from './rule';

export interface RuleReport {
  readonly rule: string;
  /** `type.name` of the resource. */
  readonly address: string;
  readonly status: RuleStatus;
  readonly reason?: string;
}

/** One report per (rule, resource) pair the rule applies to; not-applicable pairs are left out. */
export function runRules(
  stack: TerraformJson,
  rules: readonly StackRule[] = ALL_RULES,
): RuleReport[] {
  const reports: RuleReport[] = [];
  for (const resource of resourcesOf(stack)) {
    for (const rule of rules) {
      const finding = rule.check(resource, stack);
      if (finding.status === 'not-applicable') continue;
      reports.push({
        rule: rule.id,
        address: `${resource.type}.${resource.name}`,
        status: finding.status,
        reason: finding.reason,
      });
    }
  }
  return reports;
}
