import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { routeKey } from '../../shared/routes.js';
import type { EnvironmentConfig } from '../config.js';
import { functionId, routePaths } from '../routePolicy.js';
import type { RouteFunction } from './ApiFunctions.js';
import type { Database } from './Database.js';
import type { SideEffects } from './SideEffects.js';

const FIVE_MINUTES = Duration.minutes(5);

/** Thresholds, in one place. */
export const ALARM_THRESHOLDS = {
  /** Percent of a route's requests answered 5xx (with at least MIN_REQUESTS in the period). */
  route5xxPercent: 5,
  minRequests: 10,
  /** p95 latency alarms at this share of the route's Lambda timeout. */
  p95ShareOfTimeout: 0.5,
  /** RDS Proxy: average wait for a database connection, microseconds. */
  proxyBorrowLatencyMicros: 100_000,
  auroraCpuPercent: 80,
  auroraAcuPercent: 90,
} as const;

/**
 * Alarms (to one SNS topic, KMS-encrypted, optional e-mail) and one dashboard: per route 5xx
 * rate and p95 latency from API Gateway's detailed metrics; per function errors and throttles;
 * DynamoDB throttling and system errors; RDS Proxy borrow latency and pinned sessions; Aurora
 * CPU, capacity and connections; CloudFront traffic and error rates.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: EnvironmentConfig;
      apiId: string;
      stageName: string;
      functions: readonly RouteFunction[];
      table: dynamodb.ITableV2;
      database: Database;
      distribution: cloudfront.IDistribution;
      sideEffects?: SideEffects;
    },
  ) {
    super(scope, id);
    const { config, database } = props;
    const stack = Stack.of(this);

    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the registry alarm topic',
      enableKeyRotation: true,
      removalPolicy: config.name === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: `RuleStack registry alarms (${config.name})`,
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const action = new actions.SnsAction(this.topic);

    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      opts: { threshold: number; description: string; evaluationPeriods?: number; datapointsToAlarm?: number },
    ) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: opts.threshold,
        evaluationPeriods: opts.evaluationPeriods ?? 3,
        datapointsToAlarm: opts.datapointsToAlarm ?? opts.evaluationPeriods ?? 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: opts.description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    const apiMetric = (metricName: string, statistic: string, dims: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        statistic,
        period: FIVE_MINUTES,
        dimensionsMap: { ApiId: props.apiId, Stage: props.stageName, ...dims },
      });

    // --- per route: 5xx rate and p95 latency (API Gateway detailed metrics) ---
    const routeWidgets: cloudwatch.IWidget[] = [];
    for (const { route, fn } of props.functions) {
      const fid = functionId(route);
      // A route served on several paths (aliases) is one series: summed counts, worst p95.
      const paths = routePaths(route);
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      paths.forEach((path, i) => {
        const dims = { Method: route.method, Resource: path };
        usingMetrics[`e${i}`] = apiMetric('5xx', 'Sum', dims);
        usingMetrics[`n${i}`] = apiMetric('Count', 'Sum', dims);
      });
      const sum = (prefix: string) => paths.map((_, i) => `FILL(${prefix}${i}, 0)`).join(' + ');
      const rate = new cloudwatch.MathExpression({
        expression: `IF((${sum('n')}) >= ${ALARM_THRESHOLDS.minRequests}, 100 * (${sum('e')}) / (${sum('n')}), 0)`,
        usingMetrics,
        label: `${routeKey(route)} 5xx %`,
        period: FIVE_MINUTES,
      });
      const latencies = paths.map((path) => apiMetric('Latency', 'p95', { Method: route.method, Resource: path }));
      const p95: cloudwatch.IMetric =
        latencies.length === 1
          ? latencies[0]!.with({ label: `${routeKey(route)} p95 ms` })
          : new cloudwatch.MathExpression({
              expression: `MAX([${latencies.map((_, i) => `l${i}`).join(', ')}])`,
              usingMetrics: Object.fromEntries(latencies.map((m, i) => [`l${i}`, m])),
              label: `${routeKey(route)} p95 ms (worst path)`,
              period: FIVE_MINUTES,
            });
      const p95Threshold = Math.round(route.timeoutSeconds * 1000 * ALARM_THRESHOLDS.p95ShareOfTimeout);
      alarm(`${fid}5xxRate`, rate, {
        threshold: ALARM_THRESHOLDS.route5xxPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${routeKey(route)}: at least ${ALARM_THRESHOLDS.route5xxPercent}% of requests answered 5xx`,
      });
      alarm(`${fid}P95Latency`, p95, {
        threshold: p95Threshold,
        description: `${routeKey(route)}: p95 latency at least ${p95Threshold} ms (half the ${route.timeoutSeconds} s timeout)`,
      });
      alarm(`${fid}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        threshold: 1,
        evaluationPeriods: 1,
        description: `${routeKey(route)}: the function failed (unhandled error, timeout or crash)`,
      });
      alarm(`${fid}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        threshold: 1,
        evaluationPeriods: 1,
        description: `${routeKey(route)}: Lambda throttled invocations (concurrency limit)`,
      });
      routeWidgets.push(
        new cloudwatch.GraphWidget({
          title: routeKey(route),
          width: 8,
          height: 5,
          left: [rate],
          right: [p95],
          leftYAxis: { min: 0, label: '5xx %', showUnits: false },
          rightYAxis: { min: 0, label: 'ms', showUnits: false },
        }),
      );
    }

    // --- DynamoDB ---
    const Op = dynamodb.Operation;
    const dynamoOps = [Op.GET_ITEM, Op.BATCH_GET_ITEM, Op.PUT_ITEM, Op.UPDATE_ITEM, Op.DELETE_ITEM, Op.QUERY];
    const dynamoThrottles = props.table.metricThrottledRequestsForOperations({ operations: dynamoOps, period: FIVE_MINUTES });
    const dynamoSystemErrors = props.table.metricSystemErrorsForOperations({ operations: dynamoOps, period: FIVE_MINUTES });
    alarm('DynamoThrottles', dynamoThrottles, {
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      description: 'Sessions table: throttled requests',
    });
    alarm('DynamoSystemErrors', dynamoSystemErrors, {
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      description: 'Sessions table: DynamoDB system errors',
    });

    // --- RDS Proxy ---
    const proxyWidgets: cloudwatch.IWidget[] = [];
    if (database.proxy) {
      const proxyMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName,
          statistic,
          period: FIVE_MINUTES,
          dimensionsMap: { ProxyName: database.proxy!.dbProxyName },
        });
      const borrow = proxyMetric('DatabaseConnectionsBorrowLatency', 'Average');
      const pinned = proxyMetric('DatabaseConnectionsCurrentlySessionPinned', 'Maximum');
      alarm('ProxyBorrowLatency', borrow, {
        threshold: ALARM_THRESHOLDS.proxyBorrowLatencyMicros,
        description: 'RDS Proxy: waiting more than 100 ms on average for a database connection',
      });
      alarm('ProxyPinnedSessions', pinned, {
        threshold: 1,
        description: 'RDS Proxy: pinned sessions (session state, prepared statements or locks through the proxy)',
      });
      proxyWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'RDS Proxy connections',
          width: 12,
          left: [proxyMetric('ClientConnections', 'Maximum'), proxyMetric('DatabaseConnections', 'Maximum')],
          right: [pinned],
        }),
        new cloudwatch.GraphWidget({ title: 'RDS Proxy borrow latency (µs)', width: 12, left: [borrow] }),
      );
    }

    // --- Aurora ---
    const clusterMetric = (metricName: string, statistic: string) =>
      database.cluster.metric(metricName, { statistic, period: FIVE_MINUTES });
    const cpu = database.cluster.metricCPUUtilization({ period: FIVE_MINUTES, statistic: 'Maximum' });
    const acu = clusterMetric('ACUUtilization', 'Maximum');
    alarm('AuroraCpu', cpu, { threshold: ALARM_THRESHOLDS.auroraCpuPercent, description: 'Aurora: CPU at least 80%' });
    alarm('AuroraCapacity', acu, {
      threshold: ALARM_THRESHOLDS.auroraAcuPercent,
      description: `Aurora: at least 90% of the ${config.auroraMaxAcu} ACU maximum`,
    });

    // --- side-effect queue ---
    const queueWidgets: cloudwatch.IWidget[] = [];
    if (props.sideEffects) {
      const { queue, deadLetters, consumer } = props.sideEffects;
      const dlq = deadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' });
      const age = queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' });
      alarm('SideEffectsDeadLetters', dlq, {
        threshold: 1,
        evaluationPeriods: 1,
        description: 'Side effects: messages in the dead-letter queue (malformed, or failed five times)',
      });
      alarm('SideEffectsBacklog', age, {
        threshold: 900,
        description: 'Side effects: the oldest queued message is over 15 minutes old (consumer failing or too slow)',
      });
      alarm('SideEffectsConsumerErrors', consumer.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: 'Side effects: the consumer function failed',
      });
      queueWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Side effects: queue',
          width: 12,
          left: [queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }), dlq],
          right: [age],
        }),
        new cloudwatch.GraphWidget({
          title: 'Side effects: consumer',
          width: 12,
          left: [consumer.metricInvocations({ period: FIVE_MINUTES }), consumer.metricErrors({ period: FIVE_MINUTES })],
        }),
      );
    }

    // --- the dashboard ---
    const fns = props.functions.map((f) => f.fn);
    const perFunction = (title: string, metric: (fn: (typeof fns)[number]) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, width: 12, left: fns.map(metric) });
    const cfMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/CloudFront',
        metricName,
        statistic,
        period: FIVE_MINUTES,
        region: 'us-east-1',
        dimensionsMap: { DistributionId: props.distribution.distributionId, Region: 'Global' },
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.TextWidget({ markdown: `# RuleStack registry API (${config.name})`, width: 24, height: 1 })],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and errors',
            width: 12,
            left: [apiMetric('Count', 'Sum'), apiMetric('4xx', 'Sum'), apiMetric('5xx', 'Sum')],
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            width: 12,
            left: [apiMetric('Latency', 'p50'), apiMetric('Latency', 'p95'), apiMetric('Latency', 'p99')],
          }),
        ],
        routeWidgets,
        [
          perFunction('Lambda errors', (fn) => fn.metricErrors({ period: FIVE_MINUTES })),
          perFunction('Lambda throttles', (fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
        ],
        [
          perFunction('Lambda duration p95 (ms)', (fn) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p95' })),
          perFunction('Lambda concurrent executions', (fn) =>
            fn.metric('ConcurrentExecutions', { period: FIVE_MINUTES, statistic: 'Maximum' }),
          ),
        ],
        [
          // Separate graphs: the two expressions name their per-operation metrics alike.
          new cloudwatch.GraphWidget({ title: 'Sessions table: throttled requests', width: 6, left: [dynamoThrottles] }),
          new cloudwatch.GraphWidget({ title: 'Sessions table: system errors', width: 6, left: [dynamoSystemErrors] }),
          new cloudwatch.GraphWidget({
            title: 'Sessions table: capacity consumed',
            width: 12,
            left: [
              props.table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES }),
              props.table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES }),
            ],
          }),
        ],
        proxyWidgets,
        queueWidgets,
        [
          new cloudwatch.GraphWidget({ title: 'Aurora CPU % and capacity %', width: 12, left: [cpu, acu] }),
          new cloudwatch.GraphWidget({
            title: 'Aurora connections and ACUs',
            width: 12,
            left: [database.cluster.metricDatabaseConnections({ period: FIVE_MINUTES, statistic: 'Maximum' })],
            right: [clusterMetric('ServerlessDatabaseCapacity', 'Maximum')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'CloudFront requests',
            width: 12,
            left: [cfMetric('Requests', 'Sum')],
          }),
          new cloudwatch.GraphWidget({
            title: 'CloudFront error rates %',
            width: 12,
            left: [cfMetric('4xxErrorRate', 'Average'), cfMetric('5xxErrorRate', 'Average')],
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
      ].filter((row) => row.length > 0),
    });
  }
}

