/**
 * What `-c env=...` and the optional context values change: dev (small, unprotected), and
 * staging with the Data API mode, custom domains and a web ACL. One synthesis each.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsSolutionsChecks } from 'cdk-nag';
import { App } from 'aws-cdk-lib';
import { environmentFromContext } from '../../infra/config.js';
import { routes } from '../../shared/routes.js';
import { synthesize, type Synthesized } from './support.js';

const resources = (s: Synthesized, type: string) => Object.values(s.json.Resources).filter((r) => r.Type === type);
const one = (s: Synthesized, type: string) => resources(s, type)[0]!.Properties as Record<string, any>;

describe('environment selection', () => {
  const ctx = (values: Record<string, string>) => (key: string) => values[key];

  it('defaults to dev and rejects unknown names and half-given domains', () => {
    expect(environmentFromContext(ctx({})).name).toBe('dev');
    expect(() => environmentFromContext(ctx({ env: 'qa' }))).toThrow(/Unknown environment "qa"/);
    expect(() => environmentFromContext(ctx({ domainName: 'registry.example.com' }))).toThrow(/certificateArn/);
    expect(() => environmentFromContext(ctx({ dataAccess: 'odbc' }))).toThrow(/dataAccess/);
  });

  it('scales protection and retention from dev to prod', () => {
    const dev = environmentFromContext(ctx({ env: 'dev' }));
    const prod = environmentFromContext(ctx({ env: 'prod' }));
    expect(dev.deletionProtection).toBe(false);
    expect(prod.deletionProtection).toBe(true);
    expect(prod.backupRetention.toDays()).toBeGreaterThan(dev.backupRetention.toDays());
    expect(prod.auroraMaxAcu).toBeGreaterThan(dev.auroraMaxAcu);
    expect(prod.logRetention).toBeGreaterThan(dev.logRetention);
  });
});

describe('cdk-nag is live', () => {
  it('reports a wildcard policy that nobody acknowledged, and not one that was', () => {
    const app = new App();
    const stack = new Stack(app, 'NagControl');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    const rules = (r: ReturnType<AwsSolutionsChecks['validateScope']>) => r.violations.map((v) => v.ruleName);
    expect(rules(new AwsSolutionsChecks().validateScope(app))).toEqual(
      expect.arrayContaining(['AwsSolutions-IAM5[Action::s3:*]', 'AwsSolutions-IAM5[Resource::*]']),
    );
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Action::s3:*]', reason: 'test' });
    expect(rules(new AwsSolutionsChecks().validateScope(app))).not.toContain('AwsSolutions-IAM5[Action::s3:*]');
  });
});

describe('dev', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({ env: 'dev' });
  }, 120_000);

  it('passes cdk-nag', () => expect(s.nagFindings).toEqual([]));

  it('is small and unprotected: one small writer, short retention, deletable', () => {
    expect(one(s, 'AWS::RDS::DBCluster')).toMatchObject({
      DeletionProtection: false,
      BackupRetentionPeriod: 1,
      // 0.5, not 0: the proxy's open pool would keep a paused instance from pausing anyway.
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
    });
    expect(resources(s, 'AWS::RDS::DBInstance')).toHaveLength(1);
    expect(resources(s, 'AWS::RDS::DBProxyEndpoint')).toHaveLength(0);
    expect(resources(s, 'AWS::DynamoDB::GlobalTable')[0]).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(resources(s, 'AWS::RDS::DBCluster')[0]).toMatchObject({ DeletionPolicy: 'Delete' });
    for (const { logGroup } of s.stack.apiFunctions.functions) {
      const id = s.stack.getLogicalId(logGroup.node.defaultChild as import('aws-cdk-lib').CfnElement);
      expect(s.json.Resources[id]!.Properties!.RetentionInDays).toBe(7);
    }
  });

  it('still has one function per route behind the proxy', () => {
    expect(s.stack.apiFunctions.functions).toHaveLength(routes.length);
    expect(one(s, 'AWS::RDS::DBProxy')).toMatchObject({ RequireTLS: true });
  });
});

describe('staging with the Data API, custom domains and a web ACL', () => {
  let s: Synthesized;
  const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/rfh/abc';
  beforeAll(() => {
    s = synthesize({
      env: 'staging',
      dataAccess: 'data-api',
      domainName: 'registry.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/cf',
      apiDomainName: 'api.registry.example.com',
      apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/api',
      webAclArn,
    });
  }, 120_000);

  it('passes cdk-nag without the default-certificate and WAF acknowledgements', () => expect(s.nagFindings).toEqual([]));

  it('enables the Data API, drops the proxy and takes the API functions out of the VPC', () => {
    expect(one(s, 'AWS::RDS::DBCluster').EnableHttpEndpoint).toBe(true);
    expect(resources(s, 'AWS::RDS::DBProxy')).toHaveLength(0);
    for (const { fn } of s.stack.apiFunctions.functions) {
      const id = s.stack.getLogicalId(fn.node.defaultChild as import('aws-cdk-lib').CfnElement);
      const p = s.json.Resources[id]!.Properties as any;
      expect(p.VpcConfig).toBeUndefined();
      expect(p.Environment.Variables).toMatchObject({ DATABASE_DRIVER: 'data-api' });
      expect(p.Environment.Variables.DATABASE_CLUSTER_ARN).toBeDefined();
    }
    // Migrations still connect to the cluster directly, from the VPC.
    const migrateId = s.stack.getLogicalId(s.stack.migrations.fn.node.defaultChild as import('aws-cdk-lib').CfnElement);
    expect((s.json.Resources[migrateId]!.Properties as any).VpcConfig).toBeDefined();
  });

  it('grants the Data API on the cluster only, with the app user secret', () => {
    const policies = resources(s, 'AWS::IAM::Policy').map((p) => JSON.stringify(p.Properties));
    const dataApi = policies.filter((p) => p.includes('rds-data:ExecuteStatement'));
    expect(dataApi).toHaveLength(routes.length + (s.stack.sideEffects ? 1 : 0));
    for (const p of dataApi) {
      expect(p).not.toContain('rds-db:connect');
      expect(p).not.toContain('rds-data:*');
    }
  });

  it('serves the custom domains with TLS 1.2 and attaches the web ACL', () => {
    const cf = one(s, 'AWS::CloudFront::Distribution').DistributionConfig;
    expect(cf.Aliases).toEqual(['registry.example.com']);
    expect(cf.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(cf.WebACLId).toBe(webAclArn);
    expect(one(s, 'AWS::ApiGatewayV2::DomainName')).toMatchObject({
      DomainName: 'api.registry.example.com',
      DomainNameConfigurations: [expect.objectContaining({ SecurityPolicy: 'TLS_1_2' })],
    });
    expect(resources(s, 'AWS::ApiGatewayV2::ApiMapping')).toHaveLength(1);
  });
});
