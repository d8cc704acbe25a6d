import { CfnOutput, NestedStack, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteDefinition } from '../shared/routes.js';
import type { EnvironmentConfig } from './config.js';
import { ApiFunctions } from './constructs/ApiFunctions.js';
import { Cdn } from './constructs/Cdn.js';
import { Database } from './constructs/Database.js';
import { DataStores } from './constructs/DataStores.js';
import { HttpApi } from './constructs/HttpApi.js';
import { Migrations } from './constructs/Migrations.js';
import { Monitoring } from './constructs/Monitoring.js';
import { Network } from './constructs/Network.js';
import { SideEffects, hasSideEffectConsumer } from './constructs/SideEffects.js';
import { applyNagSuppressions } from './nag.js';

export interface RegistryStackProps extends StackProps {
  config: EnvironmentConfig;
  /** The route table (shared/routes.ts); a parameter so tests can pass variations. */
  routes: readonly RouteDefinition[];
}

/** The whole registry API for one environment. */
export class RegistryStack extends Stack {
  readonly config: EnvironmentConfig;
  readonly network: Network;
  readonly stores: DataStores;
  readonly database: Database;
  readonly apiFunctions: ApiFunctions;
  readonly httpApi: HttpApi;
  readonly migrations: Migrations;
  /** The side-effect queue and its consumer, when the code has one (functions/queues/side-effects.ts). */
  readonly sideEffects?: SideEffects;
  readonly cdn: Cdn;
  readonly monitoring: Monitoring;
  /** The nested stack holding the monitoring (its own template, its own resource count). */
  readonly monitoringStack: NestedStack;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { config, routes } = props;
    this.config = config;
    Tags.of(this).add('project', 'rulestack-registry');
    Tags.of(this).add('environment', config.name);

    this.network = new Network(this, 'Network', config);
    this.stores = new DataStores(this, 'Stores', config);
    this.database = new Database(this, 'Database', { config, network: this.network });
    this.apiFunctions = new ApiFunctions(this, 'Functions', {
      routes,
      config,
      table: this.stores.sessionsTable,
      jwtSecret: this.stores.jwtSecret,
      originSecret: this.stores.originSecret,
      bucket: this.stores.archiveBucket,
      database: this.database,
      network: this.network,
    });
    this.sideEffects = hasSideEffectConsumer()
      ? new SideEffects(this, 'SideEffects', {
          config,
          network: this.network,
          database: this.database,
          api: this.apiFunctions,
          jwtSecretArn: this.stores.jwtSecret.secretArn,
          table: this.stores.sessionsTable,
        })
      : undefined;
    this.migrations = new Migrations(this, 'Migrations', {
      config,
      network: this.network,
      database: this.database,
      rootPasswordSecret: this.stores.rootPasswordSecret,
      before: [...this.apiFunctions.functions.map((f) => f.fn), ...(this.sideEffects ? [this.sideEffects.consumer] : [])],
    });
    this.httpApi = new HttpApi(this, 'Http', { config, functions: this.apiFunctions.functions });
    this.cdn = new Cdn(this, 'Cdn', {
      config,
      routes,
      apiDomain: this.httpApi.executeApiDomain,
      logBucket: this.stores.logBucket,
      originSecret: this.stores.originSecret,
    });
    // Alarms and the dashboard (four alarms per function) live in a nested stack: the whole app
    // would exceed CloudFormation's 500 resources per stack, and they depend on nothing but names.
    this.monitoringStack = new NestedStack(this, 'Operations', { description: 'RuleStack registry alarms and dashboard' });
    this.monitoring = new Monitoring(this.monitoringStack, 'Monitoring', {
      config,
      apiId: this.httpApi.api.apiId,
      stageName: this.httpApi.stageName,
      functions: this.apiFunctions.functions,
      table: this.stores.sessionsTable,
      database: this.database,
      distribution: this.cdn.distribution,
      ...(this.sideEffects ? { sideEffects: this.sideEffects } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.api.apiEndpoint, description: 'HTTP API endpoint' });
    new CfnOutput(this, 'CdnUrl', {
      value: `https://${config.domain?.name ?? this.cdn.distribution.distributionDomainName}`,
      description: 'Public URL (CloudFront)',
    });
    new CfnOutput(this, 'SessionsTableName', { value: this.stores.sessionsTable.tableName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.stores.archiveBucket.bucketName });
    new CfnOutput(this, 'RootPasswordSecretArn', {
      value: this.stores.rootPasswordSecret.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this> to read the initial root password',
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });

    applyNagSuppressions(this);
  }
}
