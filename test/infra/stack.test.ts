/**
 * CDK assertions on the prod stack, synthesized once (bundling skipped: the template does not
 * depend on the code; test/infra/bundle.test.ts bundles for real). Everything is derived from
 * shared/routes.ts, so a new route is checked without touching this file.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALARM_THRESHOLDS } from '../../infra/constructs/Monitoring.js';
import { ACCESS_LOG_FIELDS } from '../../infra/constructs/HttpApi.js';
import { CACHE_TTLS } from '../../infra/constructs/Cdn.js';
import { BLOBS_PREFIX, STAGING_PREFIX, apiRouteKeys, dataNeeds, functionId, planBehaviours, routePaths, routeThrottle } from '../../infra/routePolicy.js';
import { SESSIONS_TABLE } from '../../shared/adapters/dynamodb/sessionsTable.js';
import { DEFAULT_STAGING_PREFIX } from '../../shared/adapters/s3/S3BlobStore.js';
import { CORS_POLICY } from '../../shared/http/cors.js';
import { ORIGIN_VERIFY_HEADER } from '../../shared/http/defineHandler.js';
import { routeKey, routes } from '../../shared/routes.js';
import { refId, synthesize, type Synthesized } from './support.js';
import { hasSideEffectConsumer } from '../../infra/constructs/SideEffects.js';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let s: Synthesized;
type Resource = Synthesized['json']['Resources'][string];
const ofType = (type: string): Array<[string, Resource]> => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);
const monitoringOfType = (type: string): Array<[string, Resource]> =>
  Object.entries(s.monitoring.json.Resources).filter(([, r]) => r.Type === type);
const props = (id: string) => s.json.Resources[id]!.Properties as Record<string, any>;
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  s.stack.getLogicalId(construct.node.defaultChild as import('aws-cdk-lib').CfnElement);

/** Every statement of every IAM policy (inline role policies included), with its owner. */
function statements(): Array<{ owner: string; Effect: string; Action: string[]; Resource: unknown[]; Condition?: unknown }> {
  const out: ReturnType<typeof statements> = [];
  const add = (owner: string, doc: any) => {
    for (const st of doc.Statement) {
      out.push({ owner, ...st, Action: [].concat(st.Action), Resource: [].concat(st.Resource) });
    }
  };
  for (const [id, r] of ofType('AWS::IAM::Policy')) add(id, (r.Properties as any).PolicyDocument);
  for (const [id, r] of ofType('AWS::IAM::Role')) for (const p of ((r.Properties as any).Policies ?? []) as any[]) add(id, p.PolicyDocument);
  return out;
}

/** The statements of the policy attached to a route function's role. */
function roleStatements(handler: string) {
  const fn = s.stack.apiFunctions.functions.find((f) => f.route.handler === handler)!;
  const roleId = idOf(fn.role);
  return statements().filter((st) => {
    const policy = s.json.Resources[st.owner]!;
    return policy.Type === 'AWS::IAM::Policy' && ((policy.Properties as any).Roles as unknown[]).some((r) => refId(r) === roleId);
  });
}

beforeAll(() => {
  s = synthesize({ env: 'prod' });
}, 120_000);

describe('cdk-nag', () => {
  it('has no unacknowledged AwsSolutions finding', () => {
    expect(s.nagFindings).toEqual([]);
  });

  it('every acknowledgement carries a reason', () => {
    const acks = s.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) expect(String(reason).length, id).toBeGreaterThan(40);
  });
});

describe('one Lambda function per route', () => {
  it('creates exactly one arm64 nodejs22.x function per route, plus the migration function (and the queue consumer)', () => {
    const fns = ofType('AWS::Lambda::Function').filter(([, r]) => (r.Properties as any).Runtime === 'nodejs22.x');
    expect(fns).toHaveLength(routes.length + 1 + (hasSideEffectConsumer() ? 1 : 0));
    for (const [, r] of fns) expect((r.Properties as any).Architectures).toEqual(['arm64']);
    expect(s.stack.apiFunctions.functions.map((f) => f.route.handler)).toEqual(routes.map((r) => r.handler));
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))('%s: memory, timeout, handler, environment', (_key, route) => {
    const fn = s.stack.apiFunctions.functions.find((f) => f.route === route)!;
    const p = props(idOf(fn.fn));
    expect(p.MemorySize).toBe(route.memoryMb);
    expect(p.Timeout).toBe(route.timeoutSeconds);
    expect(p.Handler).toBe('index.handler');
    expect(p.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: idOf(fn.logGroup) } });
    const env = p.Environment.Variables as Record<string, unknown>;
    expect(refId(env.SESSIONS_TABLE)).toBe(idOf(s.stack.stores.sessionsTable));
    expect(refId(env.JWT_SECRET_ARN)).toBe(idOf(s.stack.stores.jwtSecret));
    expect(refId(env.ORIGIN_SECRET_ARN)).toBe(idOf(s.stack.stores.originSecret));
    expect(env).toMatchObject({ DATABASE_IAM_AUTH: 'true', DATABASE_USER: 'rfh_app', DATABASE_NAME: 'registry', DATABASE_PORT: '5432' });
    expect(refId(env.DATABASE_HOST)).toBe(idOf(s.stack.database.proxy!));
    expect(Object.keys(env)).not.toContain('JWT_SECRET');
    expect(Object.keys(env).some((k) => /PASSWORD|DATABASE_URL/.test(k))).toBe(false);
    expect(refId(env.BLOBS_BUCKET)).toBe(idOf(s.stack.stores.archiveBucket));
    expect(env.BLOBS_PREFIX).toBe(BLOBS_PREFIX);
    expect(p.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [idOf(s.stack.network.functionsSg), 'GroupId'] }]);
  });

  it('runs migrations (trigger) after the cluster and before every API function', () => {
    const triggerId = ofType('Custom::Trigger')[0]![0];
    for (const { fn } of s.stack.apiFunctions.functions) expect(s.json.Resources[idOf(fn)]!.DependsOn).toContain(triggerId);
    const deps = s.json.Resources[triggerId]!.DependsOn ?? [];
    expect(deps).toContain(idOf(s.stack.database.cluster));
    const env = props(idOf(s.stack.migrations.fn)).Environment.Variables;
    // Directly to the cluster writer, verified TLS with the RDS CAs; never through the proxy.
    expect(env.DATABASE_HOST).toEqual({ 'Fn::GetAtt': [idOf(s.stack.database.cluster), 'Endpoint.Address'] });
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
    expect(props(idOf(s.stack.migrations.fn)).VpcConfig.SecurityGroupIds).toEqual([
      { 'Fn::GetAtt': [idOf(s.stack.network.migrationSg), 'GroupId'] },
    ]);
  });
});

describe('HTTP API', () => {
  const allKeys = routes.flatMap(apiRouteKeys);

  it('has one API Gateway route per route-table path, each integrated with its own function', () => {
    const apiRoutes = ofType('AWS::ApiGatewayV2::Route');
    expect(apiRoutes).toHaveLength(allKeys.length);
    expect(apiRoutes.map(([, r]) => (r.Properties as any).RouteKey).sort()).toEqual([...allKeys].sort());
    for (const [, r] of apiRoutes) {
      const key = (r.Properties as any).RouteKey as string;
      const route = routes.find((x) => apiRouteKeys(x).includes(key))!;
      const integrationId = refId(((r.Properties as any).Target['Fn::Join'][1] as unknown[])[1])!;
      const fn = s.stack.apiFunctions.functions.find((f) => f.route === route)!;
      expect(refId(props(integrationId).IntegrationUri), key).toBe(idOf(fn.fn));
      expect(props(integrationId).PayloadFormatVersion).toBe('2.0');
      expect((r.Properties as any).AuthorizationType ?? 'NONE').toBe('NONE');
    }
  });

  it('throttles every route from its rateLimitPerMinute, with detailed metrics, on the $default stage', () => {
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0]![1].Properties as any;
    expect(stage.StageName).toBe('$default');
    expect(stage.AutoDeploy).toBe(true);
    expect(Object.keys(stage.RouteSettings).sort()).toEqual([...allKeys].sort());
    const clients = s.stack.config.throttleConcurrentClients;
    for (const r of routes) {
      const t = routeThrottle(r, clients);
      for (const key of apiRouteKeys(r)) {
        expect(stage.RouteSettings[key]).toEqual({
          ThrottlingRateLimit: t.rateLimit,
          ThrottlingBurstLimit: t.burstLimit,
          DetailedMetricsEnabled: true,
        });
      }
    }
    // The login limit is stricter than the health probe's, as in the table.
    expect(stage.RouteSettings['POST /v1/auth/login'].ThrottlingRateLimit).toBeLessThan(stage.RouteSettings['GET /v1/health'].ThrottlingRateLimit);
  });

  it('writes JSON access logs without request headers', () => {
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0]![1].Properties as any;
    expect(refId(stage.AccessLogSettings.DestinationArn)).toBe(idOf(s.stack.httpApi.accessLogs));
    expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual(ACCESS_LOG_FIELDS);
    expect(stage.AccessLogSettings.Format).not.toMatch(/authorization/i);
  });

  it('answers CORS preflights with the handlers policy', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['*'],
        AllowHeaders: [...CORS_POLICY.allowHeaders],
        ExposeHeaders: [...CORS_POLICY.exposeHeaders],
        AllowMethods: [...CORS_POLICY.allowMethods],
        MaxAge: CORS_POLICY.maxAgeSeconds,
      },
    });
  });
});

describe('DynamoDB sessions table', () => {
  it('has the key, TTL, user index, on-demand billing, PITR and encryption the code uses', () => {
    s.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: SESSIONS_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: SESSIONS_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: SESSIONS_TABLE.userIndex.partitionKey, AttributeType: 'N' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: SESSIONS_TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      GlobalSecondaryIndexes: [
        {
          IndexName: SESSIONS_TABLE.userIndex.name,
          KeySchema: [{ AttributeName: SESSIONS_TABLE.userIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });
});

describe('Aurora and RDS Proxy', () => {
  it('runs Aurora PostgreSQL Serverless v2, encrypted, protected, backed up, TLS forced, IAM auth on', () => {
    s.template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 30,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
      EnableCloudwatchLogsExports: ['postgresql'],
    });
    s.template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
    const instances = ofType('AWS::RDS::DBInstance');
    expect(instances).toHaveLength(2); // writer + reader in prod
    for (const [, i] of instances) expect((i.Properties as any).PubliclyAccessible).toBe(false);
    s.template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Retain' });
  });

  it('fronts it with RDS Proxy requiring TLS and IAM auth, and a read-only endpoint for the reader', () => {
    s.template.resourceCountIs('AWS::RDS::DBProxy', 1);
    s.template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: Match.anyValue() } })],
    });
    s.template.hasResourceProperties('AWS::RDS::DBProxyEndpoint', {
      TargetRole: 'READ_ONLY',
      DBProxyEndpointName: Match.stringLikeRegexp('^ro-[a-f0-9]{24}$'),
    });
  });

  it('lets each function connect to the proxy as the app user only', () => {
    for (const { route } of s.stack.apiFunctions.functions) {
      const connect = roleStatements(route.handler).filter((st) => st.Action.includes('rds-db:connect'));
      expect(connect, route.handler).toHaveLength(1);
      expect(connect[0]!.Action).toEqual(['rds-db:connect']);
      const parts = (connect[0]!.Resource[0] as any)['Fn::Join'][1] as unknown[];
      expect(parts).toContain(':dbuser:');
      expect(parts.at(-1)).toBe('/rfh_app');
      expect(JSON.stringify(parts)).toContain(`"${idOf(s.stack.database.proxy!)}","DBProxyArn"`);
    }
  });

  it('opens the network only along the data path', () => {
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties as any);
    for (const rule of ingress) {
      expect(rule.CidrIp).toBeUndefined(); // only from other security groups
      expect(rule.SourceSecurityGroupId).toBeDefined();
    }
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });
});

describe('archive bucket', () => {
  it('blocks public access, encrypts, versions and expires old versions and abandoned uploads', () => {
    const id = idOf(s.stack.stores.archiveBucket);
    expect(props(id)).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: idOf(s.stack.stores.logBucket) } },
    });
    const rule = props(id).LifecycleConfiguration.Rules[0];
    expect(rule).toMatchObject({
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    });
    expect(s.json.Resources[id]).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('expires staged archives (the staging prefix only, where the S3 blob store stages) a day after they were written', () => {
    const rules = props(idOf(s.stack.stores.archiveBucket)).LifecycleConfiguration.Rules as any[];
    const staging = rules.filter((r) => r.ExpirationInDays !== undefined);
    expect(staging).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        Prefix: STAGING_PREFIX,
        ExpirationInDays: 1,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      }),
    ]);
    expect(STAGING_PREFIX).toBe(DEFAULT_STAGING_PREFIX);
    expect(STAGING_PREFIX.startsWith(BLOBS_PREFIX) || BLOBS_PREFIX.startsWith(STAGING_PREFIX)).toBe(false);
    // No rule ever expires current objects anywhere else: content-addressed archives are never swept.
    for (const r of rules.filter((x) => x !== staging[0])) expect(r.ExpirationInDays ?? r.ExpirationDate).toBeUndefined();
    // The publish function's statement on staged objects is acknowledged, nothing else is flagged.
    expect(s.nagFindings).toEqual([]);
  });

  it('denies every request that is not TLS (1.2 or later)', () => {
    const id = idOf(s.stack.stores.archiveBucket);
    const policy = ofType('AWS::S3::BucketPolicy').find(([, r]) => refId((r.Properties as any).Bucket) === id)![1].Properties as any;
    const denies = policy.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Deny');
    expect(denies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]),
    );
  });
});

describe('CloudFront', () => {
  const distribution = () => ofType('AWS::CloudFront::Distribution')[0]![1].Properties!.DistributionConfig as any;
  const cachePolicy = (ref: unknown) => props(refId(ref)!).CachePolicyConfig;

  it('never caches by default and forwards every viewer header but Host (Authorization reaches the API)', () => {
    const d = distribution();
    expect(d.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: expect.arrayContaining(['POST', 'PUT', 'DELETE', 'PATCH']),
    });
    expect(d.Origins[0].CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(d.Logging).toBeDefined();
  });

  it("sends the origin secret with every request, resolved at deploy time, under the header the functions check", () => {
    const headers = distribution().Origins[0].OriginCustomHeaders as Array<{ HeaderName: string; HeaderValue: unknown }>;
    expect(headers).toHaveLength(1);
    expect(headers[0]!.HeaderName.toLowerCase()).toBe(ORIGIN_VERIFY_HEADER);
    // A CloudFormation dynamic reference to the secret, never its value.
    expect(JSON.stringify(headers[0]!.HeaderValue)).toMatch(/\{\{resolve:secretsmanager:/);
    expect(JSON.stringify(headers[0]!.HeaderValue)).toContain(idOf(s.stack.stores.originSecret));
    // Every API function may read it and is told where; nothing else is.
    for (const fn of s.stack.apiFunctions.functions) {
      expect(refId((props(idOf(fn.fn)).Environment.Variables as Record<string, unknown>).ORIGIN_SECRET_ARN)).toBe(idOf(s.stack.stores.originSecret));
    }
  });

  it('caches blobs and published versions at most five minutes (visibility can change), package pages briefly, auth never', () => {
    const behaviours = distribution().CacheBehaviors as any[];
    const byPattern = new Map(behaviours.map((b) => [b.PathPattern, b]));
    expect(behaviours.map((b) => b.PathPattern)).toEqual(planBehaviours(routes).map((b) => b.pattern));

    for (const pattern of ['/v1/blobs/*', '/v1/packages/*/versions/*']) {
      const p = cachePolicy(byPattern.get(pattern)!.CachePolicyId);
      expect(p.MaxTTL, pattern).toBe(300);
      expect(p.DefaultTTL).toBe(CACHE_TTLS.immutable.default.toSeconds());
      expect(p.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior).toBe('none');
    }
    const brief = cachePolicy(byPattern.get('/v1/packages/*')!.CachePolicyId);
    expect(brief.MaxTTL).toBe(300);
    expect(brief.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior).toBe('all');
    // Owner changes sit under /v1/packages/* but are never cached, and come first.
    const patterns = behaviours.map((b) => b.PathPattern);
    expect(byPattern.get('/v1/packages/*/owners/*')!.CachePolicyId).toBe(CACHING_DISABLED);
    expect(patterns.indexOf('/v1/packages/*/owners/*')).toBeLessThan(patterns.indexOf('/v1/packages/*'));
    // No behaviour matches an auth route: they take the default (uncached) one.
    expect(patterns.some((p) => p.startsWith('/v1/auth'))).toBe(false);
  });

  it('keys cached answers on Authorization (signed-in callers reach the API, never share an entry) and keeps cookies out', () => {
    for (const [, r] of ofType('AWS::CloudFront::CachePolicy')) {
      const params = (r.Properties as any).CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin;
      expect(params.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Origin', 'Authorization'] });
      expect(params.CookiesConfig.CookieBehavior).toBe('none');
    }
    for (const b of distribution().CacheBehaviors as any[]) {
      if (b.CachePolicyId === CACHING_DISABLED) continue;
      expect(b.AllowedMethods, b.PathPattern).toEqual(['GET', 'HEAD', 'OPTIONS']);
      const orp = props(refId(b.OriginRequestPolicyId)!).OriginRequestPolicyConfig;
      expect(orp.HeadersConfig.HeaderBehavior).toBe('whitelist');
      expect(JSON.stringify(orp.HeadersConfig.Headers)).not.toMatch(/authorization/i);
      expect(orp.CookiesConfig.CookieBehavior).toBe('none');
    }
  });
});

describe('least privilege', () => {
  it('grants no wildcard action anywhere', () => {
    for (const st of statements()) for (const a of st.Action) expect(a, st.owner).not.toContain('*');
  });

  it('allows a resource of "*" only for the network interfaces of VPC functions (and CDK log retention)', () => {
    for (const st of statements().filter((x) => x.Resource.includes('*'))) {
      const ok = st.Action.every((a) => a.startsWith('ec2:')) || st.Action.every((a) => /^logs:(Put|Delete)RetentionPolicy$/.test(a));
      expect(ok, `${st.owner}: ${st.Action.join(',')}`).toBe(true);
    }
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))('%s: only its table, secret and bucket prefix', (_key, route) => {
    const sts = roleStatements(route.handler);
    const tableId = idOf(s.stack.stores.sessionsTable);
    const bucketId = idOf(s.stack.stores.archiveBucket);
    const jwtId = idOf(s.stack.stores.jwtSecret);
    const needs = dataNeeds(route);
    for (const st of sts) {
      expect(st.Effect).toBe('Allow');
      const services = new Set(st.Action.map((a) => a.split(':')[0]));
      expect(services.size, st.Action.join(',')).toBe(1);
      const service = [...services][0];
      const resources = JSON.stringify(st.Resource);
      switch (service) {
        case 'dynamodb':
          expect(st.Resource.every((r) => refId(r) === tableId || JSON.stringify(r).includes(`/index/${SESSIONS_TABLE.userIndex.name}`))).toBe(true);
          expect(resources).toContain(tableId);
          break;
        case 'secretsmanager':
          expect(st.Action).toEqual(['secretsmanager:GetSecretValue']);
          // The JWT key and CloudFront's origin secret, nothing else.
          for (const r of st.Resource) expect([jwtId, idOf(s.stack.stores.originSecret)]).toContain(refId(r));
          break;
        case 's3':
          expect(needs.bucket).not.toBe('none');
          expect(resources).toContain(bucketId);
          if (st.Action.includes('s3:ListBucket')) {
            expect(st.Action).toEqual(['s3:ListBucket']);
            expect(st.Resource).toEqual([{ 'Fn::GetAtt': [bucketId, 'Arn'] }]);
            expect(st.Condition).toBeUndefined();
          } else if (resources.includes(`/${STAGING_PREFIX}*`)) {
            // Staged archives: the publish function only.
            expect(needs.bucket).toBe('read-write');
            expect(st.Resource).toHaveLength(1);
            expect(st.Action).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject']);
            expect(st.Condition).toBeUndefined();
          } else {
            expect(needs.bucket).not.toBe('probe');
            expect(resources).toContain(`/${BLOBS_PREFIX}*`);
            expect(st.Action).toEqual(needs.bucket === 'read' ? ['s3:GetObject'] : ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
            expect(st.Condition).toBeUndefined();
          }
          break;
        case 'rds-db':
          expect(st.Action).toEqual(['rds-db:connect']);
          break;
        case 'logs':
          expect(st.Resource).toEqual([{ 'Fn::GetAtt': [idOf(s.stack.apiFunctions.functions.find((f) => f.route === route)!.logGroup), 'Arn'] }]);
          break;
        case 'ec2':
          expect(st.Resource).toEqual(['*']);
          break;
        case 'sqs':
          expect(st.Action).toEqual(['sqs:SendMessage']);
          expect(st.Resource).toEqual([{ 'Fn::GetAtt': [idOf(s.stack.sideEffects!.queue), 'Arn'] }]);
          break;
        default:
          throw new Error(`${route.handler} has unexpected ${service} permissions`);
      }
    }
    const s3Statements = sts.filter((st) => st.Action.some((a) => a.startsWith('s3:')));
    expect(s3Statements.length > 0).toBe(needs.bucket !== 'none');
    if (needs.bucket !== 'read-write') expect(sts.flatMap((st) => st.Action)).not.toContain('s3:PutObject');
    // Staged archives: reachable by the publish function, and nothing else can touch them.
    expect(sts.some((st) => JSON.stringify(st.Resource).includes(`/${STAGING_PREFIX}*`))).toBe(needs.bucket === 'read-write');
  });
});

describe.runIf(hasSideEffectConsumer())('side-effect queue', () => {
  it('is encrypted, TLS-only, with a dead-letter queue', () => {
    const q = s.stack.sideEffects!;
    expect(props(idOf(q.queue))).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(q.deadLetters), 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(props(idOf(q.queue)).VisibilityTimeout).toBeGreaterThan(props(idOf(q.consumer)).Timeout);
    const policy = ofType('AWS::SQS::QueuePolicy').find(([, r]) => JSON.stringify(r.Properties).includes(idOf(q.queue)))![1];
    expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
  });

  it('feeds the consumer in batches that report item failures, after migrations', () => {
    const q = s.stack.sideEffects!;
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [idOf(q.queue), 'Arn'] },
      FunctionName: { Ref: idOf(q.consumer) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const triggerId = ofType('Custom::Trigger')[0]![0];
    expect(s.json.Resources[idOf(q.consumer)]!.DependsOn).toContain(triggerId);
  });

  it('tells every API function where to send, reachable from the isolated subnets', () => {
    const q = s.stack.sideEffects!;
    for (const { fn } of s.stack.apiFunctions.functions) {
      expect(refId(props(idOf(fn)).Environment.Variables.SIDE_EFFECTS_QUEUE_URL)).toBe(idOf(q.queue));
    }
    expect(JSON.stringify(ofType('AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties))).toContain('.sqs');
  });
});

describe('operations', () => {
  it('keeps every stack within the 500 resources CloudFormation allows: alarms and the dashboard in a nested stack', () => {
    expect(Object.keys(s.json.Resources).length).toBeLessThan(500);
    expect(Object.keys(s.monitoring.json.Resources).length).toBeLessThan(500);
    expect(ofType('AWS::CloudWatch::Alarm')).toEqual([]);
    expect(ofType('AWS::CloudFormation::Stack')).toHaveLength(1);
  });

  it('alarms per route on 5xx rate and p95 latency, per function on errors and throttles', () => {
    for (const { route, fn } of s.stack.apiFunctions.functions) {
      const fid = functionId(route);
      const alarm = (suffix: string) =>
        monitoringOfType('AWS::CloudWatch::Alarm').find(([id]) => id.startsWith(`Monitoring${fid}${suffix}`))?.[1].Properties as any;
      const rate = alarm('5xxRate');
      expect(rate, fid).toBeDefined();
      expect(rate.Threshold).toBe(ALARM_THRESHOLDS.route5xxPercent);
      const metricDims = JSON.stringify(rate.Metrics);
      for (const path of routePaths(route)) expect(metricDims).toContain(path);
      expect(alarm('P95Latency').Threshold).toBe(route.timeoutSeconds * 1000 * ALARM_THRESHOLDS.p95ShareOfTimeout);
      // The nested stack names the function through a parameter the parent sets to it.
      const param = refId((alarm('Errors').Dimensions as Array<{ Name: string; Value: unknown }>).find((d) => d.Name === 'FunctionName')!.Value)!;
      const nested = ofType('AWS::CloudFormation::Stack')[0]![1].Properties as { Parameters: Record<string, unknown> };
      expect(refId(nested.Parameters[param])).toBe(idOf(fn));
      expect(alarm('Throttles').MetricName).toBe('Throttles');
      expect(rate.AlarmActions).toEqual([{ Ref: s.stack.monitoringStack.getLogicalId(s.stack.monitoring.topic.node.defaultChild as import('aws-cdk-lib').CfnElement) }]);
    }
    for (const name of ['DynamoThrottles', 'ProxyBorrowLatency', 'ProxyPinnedSessions', 'AuroraCpu', 'AuroraCapacity']) {
      expect(monitoringOfType('AWS::CloudWatch::Alarm').some(([id]) => id.startsWith(`Monitoring${name}`)), name).toBe(true);
    }
  });

  it('has one dashboard covering routes, functions, DynamoDB, the proxy, Aurora and CloudFront', () => {
    s.monitoring.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(monitoringOfType('AWS::CloudWatch::Dashboard')[0]![1].Properties!.DashboardBody);
    for (const text of [...routes.map(routeKey), 'DatabaseConnectionsBorrowLatency', 'ACUUtilization', 'AWS/CloudFront', 'ThrottledRequests']) {
      expect(body).toContain(text);
    }
  });

  it('encrypts the alarm topic and keeps logs for the prod retention', () => {
    s.monitoring.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const { logGroup } of s.stack.apiFunctions.functions) expect(props(idOf(logGroup)).RetentionInDays).toBe(180);
  });
});
