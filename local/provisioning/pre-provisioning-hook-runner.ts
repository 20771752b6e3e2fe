/**
 * Runs a template's pre-provisioning hook in-process, as AWS IoT invokes the Lambda: same event
 * shape, same configuration (the function's `environment.variables` from the stack), and the same
 * limit — "The Lambda function must finish running and return within 5 seconds, otherwise the
 * provisioning request fails" (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html).
 *
 * The handler code is the TypeScript module the Lambda is bundled from; it must export
 * `hookConfigFromEnvironment(env)` and `createPreProvisioningHook(config)` (the contract of
 * `infra/provisioning-hook/handler.ts`).
 */
import type { LambdaTable } from '../terraform/iot-appliers';

/** The event AWS IoT sends to the hook. */
export interface HookEvent {
  readonly claimCertificateId: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly templateArn: string;
  readonly clientId: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/** What the hook answers. */
export interface HookResponse {
  readonly allowProvisioning: boolean;
  readonly parameterOverrides?: Readonly<Record<string, string>>;
}

/** The shape of the hook module. */
export interface HookModule {
  hookConfigFromEnvironment(env: Record<string, string | undefined>): unknown;
  createPreProvisioningHook(config: never): (event: HookEvent) => Promise<HookResponse>;
}

/** The hook's time limit on AWS. */
export const HOOK_TIMEOUT_MS = 5_000;

/** Default module: the stack's own hook source. */
export const DEFAULT_HOOK_MODULE = new URL('../../infra/provisioning-hook/handler.ts', import.meta.url).href;

/** Invokes the hook at `targetArn`; rejects on a missing function, a throw, or a timeout. */
export type HookRunner = (targetArn: string, event: HookEvent) => Promise<HookResponse>;

/** Builds a runner over the Lambda functions found during apply. */
export function createHookRunner(lambdas: LambdaTable, moduleUrl: string = DEFAULT_HOOK_MODULE, log?: (entry: Record<string, unknown>) => void): HookRunner {
  const hooks = new Map<string, Promise<(event: HookEvent) => Promise<HookResponse>>>();
  const load = (targetArn: string): Promise<(event: HookEvent) => Promise<HookResponse>> => {
    let hook = hooks.get(targetArn);
    if (!hook) {
      const lambda = lambdas.get(targetArn);
      if (!lambda) return Promise.reject(new Error(`pre-provisioning hook ${targetArn} is not a Lambda function declared in the stack`));
      hook = (import(moduleUrl) as Promise<HookModule>).then(mod => {
        const config = mod.hookConfigFromEnvironment({ ...lambda.environment }) as Record<string, unknown>;
        // The hook's decision log goes to the local cloud's log instead of stdout (CloudWatch on AWS).
        return mod.createPreProvisioningHook((log ? { ...config, log } : config) as never);
      });
      hooks.set(targetArn, hook);
    }
    return hook;
  };
  return async (targetArn, event) => {
    const hook = await load(targetArn);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        hook(event),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`pre-provisioning hook did not answer within ${HOOK_TIMEOUT_MS} ms`)), HOOK_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
}
