import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routes as routeTable, type RouteDefinition } from '../shared/routes.js';
import { PROJECT_ROOT } from './bundling.js';
import { environmentFromContext } from './config.js';
import { RegistryStack } from './RegistryStack.js';
import { WebAclStack } from './WebAclStack.js';

/** The feature flags and defaults of cdk.json, so tests synthesize what `cdk synth` does. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface CreateAppOptions extends AppProps {
  routes?: readonly RouteDefinition[];
  /** Add cdk-nag's AwsSolutions checks (the app always does; tests may look at raw templates). */
  nag?: boolean;
}

/**
 * The CDK app: one RegistryStack for the environment named by `-c env=...` (default dev), with
 * cdk-nag's AwsSolutions checks as a validation plugin: an unacknowledged finding fails
 * synthesis (`cdk synth` and `app.synth()`). Environment-agnostic unless `-c account=... -c region=...` are given.
 */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: RegistryStack; webAclStack?: WebAclStack } {
  const { routes = routeTable, nag = true, ...appProps } = options;
  const app = new App({ ...appProps, context: { ...cdkJsonContext(), ...appProps.context } });
  const read = (key: string) => app.node.tryGetContext(key) as unknown;
  const config = environmentFromContext(read);
  const account = read('account');
  const region = read('region');
  const stack = new RegistryStack(app, `RfhRegistry-${config.name}`, {
    config,
    routes,
    description: `RuleStack registry API for the rfh package manager (${config.name})`,
    terminationProtection: config.name === 'prod',
    ...(typeof account === 'string' && typeof region === 'string' ? { env: { account, region } } : {}),
  });
  // `-c webAcl=create`: also the us-east-1 web ACL with the per-client rate rules (WebAclStack).
  const webAclStack =
    read('webAcl') === 'create'
      ? new WebAclStack(app, `RfhWebAcl-${config.name}`, {
          config,
          routes,
          description: `Per-client rate limits (AWS WAF) for the RuleStack registry's CloudFront distribution (${config.name})`,
          ...(typeof account === 'string' ? { env: { account } } : {}),
        })
      : undefined;
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, ...(webAclStack ? { webAclStack } : {}) };
}
