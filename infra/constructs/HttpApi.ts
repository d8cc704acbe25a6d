import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_POLICY } from '../../shared/http/cors.js';
import type { EnvironmentConfig } from '../config.js';
import { functionId, routePaths, routeThrottle } from '../routePolicy.js';
import type { RouteFunction } from './ApiFunctions.js';

/** One access-log line per request, JSON. No headers: the Authorization header is never logged. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integrationErrorMessage',
  userAgent: '$context.identity.userAgent',
} as const;

/**
 * The API Gateway HTTP API: one route per route-table entry (plus one per alias path, to the
 * same function), each entry to its own function (payload format 2.0), CORS preflight answered by API Gateway with the same policy as the
 * handlers, the `$default` stage with JSON access logs, detailed (per-route) metrics and
 * per-route throttling derived from the table's limits. Optional custom domain.
 */
export class HttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly stageName = '$default';

  constructor(scope: Construct, id: string, props: { config: EnvironmentConfig; functions: readonly RouteFunction[] }) {
    super(scope, id);
    const { config } = props;

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: `RuleStack registry API (${config.name})`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: config.corsOrigins,
        allowMethods: CORS_POLICY.allowMethods.map((m) => apigwv2.CorsHttpMethod[m]),
        allowHeaders: [...CORS_POLICY.allowHeaders],
        exposeHeaders: [...CORS_POLICY.exposeHeaders],
        maxAge: Duration.seconds(CORS_POLICY.maxAgeSeconds),
      },
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.name === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const domain = config.apiDomain
      ? new apigwv2.DomainName(this, 'Domain', {
          domainName: config.apiDomain.name,
          certificate: acm.Certificate.fromCertificateArn(this, 'DomainCertificate', config.apiDomain.certificateArn),
          securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
        })
      : undefined;

    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: this.stageName,
      autoDeploy: true,
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      ...(domain ? { domainMapping: { domainName: domain } } : {}),
    });

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number; DetailedMetricsEnabled: boolean }> = {};
    for (const { route, fn } of props.functions) {
      const integration = new HttpLambdaIntegration(`${functionId(route)}Integration`, fn, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      });
      const t = routeThrottle(route, config.throttleConcurrentClients);
      for (const path of routePaths(route)) {
        const created = this.api.addRoutes({ path, methods: [apigwv2.HttpMethod[route.method]], integration });
        // Route settings name routes by key, so the stage must come after them.
        for (const r of created) this.stage.node.addDependency(r);
        routeSettings[`${route.method} ${path}`] = {
          ThrottlingRateLimit: t.rateLimit,
          ThrottlingBurstLimit: t.burstLimit,
          DetailedMetricsEnabled: true,
        };
      }
    }
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.routeSettings = routeSettings;
  }

  /** The API's host name, for CloudFront's origin. */
  get executeApiDomain(): string {
    // apiEndpoint is https://<id>.execute-api.<region>.<suffix>
    return `${this.api.apiId}.execute-api.${this.api.stack.region}.${this.api.stack.urlSuffix}`;
  }
}
