import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias in
 * infra/bundling.ts). Lambda hands every function its role's credentials in environment
 * variables, so the default chain's other sources (SSO, INI files, processes, web identity, the
 * instance metadata service) and the STS/SSO clients they bring are dead weight there. Locally,
 * nothing is aliased and the SDK's own chain applies.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
