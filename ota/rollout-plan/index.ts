// Rollout plans: the schema and its checks, stage timing, job ids, CreateJob input and the
// promotion gate. The AWS limits are exported for the local cloud to enforce the same ranges.
export * from './aws-job-limits';
export * from './create-job-input';
export * from './evaluate-gate';
export * from './parse-rollout-plan';
export * from './rollout-job-id';
export * from './rollout-plan-schema';
export * from './stage-schedule';
