import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { RouteDefinition } from '../shared/routes.js';
import type { EnvironmentConfig } from './config.js';

/** WAF counts requests per client address over this window (one of 60, 120, 300, 600 s). */
export const WAF_WINDOW_SECONDS = 300;
/** WAF's smallest rate limit. */
const WAF_MIN_LIMIT = 10;

/** The routes whose per-client limit WAF enforces on its own, tighter than the general one. */
export const TIGHT_ROUTES = ['POST /v1/auth/login', 'POST /v1/auth/register', 'POST /v1/packages'] as const;

export interface RateRule {
  name: string;
  /** Requests per client address per WAF window. */
  limit: number;
  /** Only requests of this method and exact path count (none: every request). */
  route?: { method: string; path: string };
}

/**
 * The per-client limits WAF enforces at the edge, from the route table: each tight route at its
 * own per-minute limit over WAF's window, and every request together at the largest per-minute
 * limit of any route. Unlike the functions' in-memory limiter, these hold across all Lambda
 * containers, which is what makes them the real per-client bound in AWS.
 */
export function rateRules(routes: readonly RouteDefinition[]): RateRule[] {
  const perWindow = (perMinute: number) => Math.max(WAF_MIN_LIMIT, Math.ceil((perMinute * WAF_WINDOW_SECONDS) / 60));
  const tight = TIGHT_ROUTES.map((key) => {
    const route = routes.find((r) => `${r.method} ${r.path}` === key);
    if (!route) throw new Error(`No route ${key} in the route table`);
    const name = `${route.method}${route.path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '');
    return { name, limit: perWindow(route.rateLimitPerMinute), route: { method: route.method, path: route.path } };
  });
  const general = { name: 'all-requests', limit: perWindow(Math.max(...routes.map((r) => r.rateLimitPerMinute))) };
  return [...tight, general];
}

const TOO_MANY = 'too-many-requests';

/**
 * The CloudFront web ACL with the per-client rate rules. A web ACL for CloudFront must live in
 * us-east-1, whatever region the registry runs in, so it is a stack of its own: deploy it once
 * (`npm run deploy -- -c env=prod -c webAcl=create RfhWebAcl-prod`), then pass its `WebAclArn`
 * output to the registry stack as `-c webAclArn=...`. Blocked requests get the API's own 429
 * JSON shape.
 */
export class WebAclStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;
  readonly rules: RateRule[];

  constructor(scope: Construct, id: string, props: StackProps & { config: EnvironmentConfig; routes: readonly RouteDefinition[] }) {
    super(scope, id, { ...props, env: { ...(props.env?.account ? { account: props.env.account } : {}), region: 'us-east-1' } });
    this.rules = rateRules(props.routes);
    const metric = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `rfh-${props.config.name}-${name}`,
      sampledRequestsEnabled: true,
    });
    const exactly = (field: wafv2.CfnWebACL.FieldToMatchProperty, value: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: { fieldToMatch: field, positionalConstraint: 'EXACTLY', searchString: value, textTransformations: [{ priority: 0, type: 'NONE' }] },
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `rfh-registry-${props.config.name}`,
      description: 'Per-client rate limits of the RuleStack registry API, tighter on login, register and publish',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: metric('web-acl'),
      customResponseBodies: {
        [TOO_MANY]: { contentType: 'APPLICATION_JSON', content: '{"error":"Too many requests, slow down"}' },
      },
      rules: this.rules.map((rule, priority) => ({
        name: rule.name,
        priority,
        action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: TOO_MANY, responseHeaders: [{ name: 'Retry-After', value: String(WAF_WINDOW_SECONDS) }] } } },
        visibilityConfig: metric(rule.name),
        statement: {
          rateBasedStatement: {
            limit: rule.limit,
            aggregateKeyType: 'IP',
            evaluationWindowSec: WAF_WINDOW_SECONDS,
            ...(rule.route
              ? {
                  scopeDownStatement: {
                    andStatement: {
                      statements: [exactly({ method: {} }, rule.route.method), exactly({ uriPath: {} }, rule.route.path)],
                    },
                  },
                }
              : {}),
          },
        },
      })),
    });
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn, description: 'Pass to the registry stack as -c webAclArn=<this>' });
  }
}
