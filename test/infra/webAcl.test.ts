import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/createApp.js';
import { rateRules, TIGHT_ROUTES, WAF_WINDOW_SECONDS } from '../../infra/WebAclStack.js';
import { routes } from '../../shared/routes.js';

// The us-east-1 web ACL with the per-client rate rules, as `-c webAcl=create` synthesizes it.
let acl: any;
let region: string;
let nagFindings: string[];

beforeAll(() => {
  const { app, webAclStack } = createApp({ outdir: mkdtempSync(join(tmpdir(), 'rfh-waf-')), context: { env: 'prod', webAcl: 'create', 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(webAclStack!);
  acl = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: any }>).find((r) => r.Type === 'AWS::WAFv2::WebACL')!.Properties;
  region = webAclStack!.region;
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(webAclStack!);
  nagFindings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  expect(app.node.tryGetContext('webAcl')).toBe('create');
}, 120_000);

describe('the CloudFront web ACL (AWS WAF)', () => {
  it('lives in us-east-1 with CloudFront scope, and passes cdk-nag', () => {
    expect(region).toBe('us-east-1');
    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    expect(nagFindings).toEqual([]);
  });

  it('limits each client address (across all containers) on every request, tighter on login, register and publish', () => {
    const general = acl.Rules.find((r: any) => !r.Statement.RateBasedStatement.ScopeDownStatement);
    expect(general.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', EvaluationWindowSec: WAF_WINDOW_SECONDS });
    for (const key of TIGHT_ROUTES) {
      const [method, path] = key.split(' ') as [string, string];
      const rule = acl.Rules.find((r: any) => JSON.stringify(r.Statement).includes(`"SearchString":"${path}"`) && JSON.stringify(r.Statement).includes(`"SearchString":"${method}"`));
      expect(rule, key).toBeDefined();
      const route = routes.find((r) => `${r.method} ${r.path}` === key)!;
      expect(rule.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: (route.rateLimitPerMinute * WAF_WINDOW_SECONDS) / 60 });
      expect(rule.Statement.RateBasedStatement.Limit).toBeLessThan(general.Statement.RateBasedStatement.Limit);
      expect(rule.Priority).toBeLessThan(general.Priority);
    }
  });

  it("blocks with the API's own 429 JSON and a Retry-After", () => {
    for (const rule of acl.Rules) {
      expect(rule.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'too-many-requests' });
      expect(rule.Action.Block.CustomResponse.ResponseHeaders).toEqual([{ Name: 'Retry-After', Value: String(WAF_WINDOW_SECONDS) }]);
    }
    const body = acl.CustomResponseBodies['too-many-requests'];
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toEqual({ error: 'Too many requests, slow down' });
  });

  it('derives its limits from the route table', () => {
    const rules = rateRules(routes);
    expect(rules.map((r) => r.route && `${r.route.method} ${r.route.path}`).filter(Boolean)).toEqual([...TIGHT_ROUTES]);
    expect(rules.at(-1)!.limit).toBe((Math.max(...routes.map((r) => r.rateLimitPerMinute)) * WAF_WINDOW_SECONDS) / 60);
  });
});
