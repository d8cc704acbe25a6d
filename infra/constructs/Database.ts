import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { PASSWORD_EXCLUDED_CHARACTERS } from './DataStores.js';
import type { Network } from './Network.js';

export const DATABASE_NAME = 'registry';
/** The cluster's master user: migrations only. */
export const MASTER_USER = 'rfh_admin';
/** The API's login (created by the migration function with data rights only). */
export const APP_USER = 'rfh_app';
export const POSTGRES_PORT = 5432;

/**
 * Aurora PostgreSQL Serverless v2 in the isolated subnets: encrypted, TLS forced, IAM
 * authentication on, backups and deletion protection per environment, an optional reader.
 * In `proxy` mode it is fronted by RDS Proxy (TLS required, IAM auth; the proxy logs in with the
 * app user's secret), with a read-only endpoint when there is a reader. In `data-api` mode the
 * Data API is enabled instead and there is no proxy.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  /** Master credentials, generated; read by the migration function only. */
  readonly masterSecret: secretsmanager.ISecret;
  /** The app user's credentials (RDS Proxy's login; the Data API's secret in data-api mode). */
  readonly appUserSecret: secretsmanager.ISecret;
  readonly proxy?: rds.DatabaseProxy;
  /** Host of the proxy's read-only endpoint (prod with a reader). */
  readonly readOnlyHost?: string;
  readonly proxyReadOnlyEndpoint?: rds.CfnDBProxyEndpoint;

  constructor(scope: Construct, id: string, props: { config: EnvironmentConfig; network: Network }) {
    super(scope, id);
    const { config, network } = props;
    const prod = config.name === 'prod';
    const removalPolicy = config.dataRemovalPolicy;

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_8 }),
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER, { excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS }),
      defaultDatabaseName: DATABASE_NAME,
      port: POSTGRES_PORT,
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [network.databaseSg],
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        autoMinorVersionUpgrade: true,
        publiclyAccessible: false,
      }),
      readers: config.auroraReader
        ? [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: true, publiclyAccessible: false })]
        : [],
      // Scale-to-zero pauses only without open connections, and RDS Proxy keeps its pool open:
      // behind the proxy the floor is 0.5 ACU (dev pauses in the Data API mode only).
      serverlessV2MinCapacity: config.dataAccess === 'proxy' ? Math.max(0.5, config.auroraMinAcu) : config.auroraMinAcu,
      serverlessV2MaxCapacity: config.auroraMaxAcu,
      storageEncrypted: true,
      iamAuthentication: true,
      enableDataApi: config.dataAccess === 'data-api',
      backup: { retention: config.backupRetention, preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'Sun:04:30-Sun:05:30',
      deletionProtection: config.deletionProtection,
      removalPolicy,
      copyTagsToSnapshot: true,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: config.logRetention,
      parameters: {
        // Every connection to the cluster must use TLS (the proxy and the migration function do).
        'rds.force_ssl': '1',
        'log_min_duration_statement': '1000',
      },
    });
    this.masterSecret = this.cluster.secret!;

    const appSecret = new rds.DatabaseSecret(this, 'AppUserSecret', {
      username: APP_USER,
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    appSecret.applyRemovalPolicy(prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    this.appUserSecret = appSecret.attach(this.cluster);

    // Rotation of both database secrets, by Secrets Manager's hosted rotation function in the
    // isolated subnets (it reaches Secrets Manager through the interface endpoint). The next
    // deployment's migration re-applies the app user's current password either way.
    const rotationOptions = {
      automaticallyAfter: Duration.days(30),
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      vpcSubnets: network.subnets,
      endpoint: network.secretsEndpoint,
    };
    this.cluster.addRotationSingleUser(rotationOptions);
    // Single-user rotation for the app user too: the proxy and the IAM tokens name this user, so
    // it must not alternate with a clone the way multi-user rotation does.
    new secretsmanager.SecretRotation(this, 'AppUserRotation', {
      ...rotationOptions,
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: this.appUserSecret,
      target: this.cluster,
      vpc: network.vpc,
    });

    if (config.dataAccess === 'proxy') {
      this.proxy = this.cluster.addProxy('Proxy', {
        vpc: network.vpc,
        vpcSubnets: network.subnets,
        securityGroups: [network.proxySg],
        secrets: [this.appUserSecret],
        requireTLS: true,
        iamAuth: true,
        debugLogging: false,
        borrowTimeout: Duration.seconds(5),
        idleClientTimeout: Duration.minutes(30),
        maxConnectionsPercent: 90,
        maxIdleConnectionsPercent: 20,
      });
      if (config.auroraReader) {
        this.proxyReadOnlyEndpoint = new rds.CfnDBProxyEndpoint(this, 'ProxyReadOnlyEndpoint', {
          dbProxyName: this.proxy.dbProxyName,
          // Letters, digits and single hyphens, starting with a letter, unique in the account and region.
          dbProxyEndpointName: `ro-${this.proxy.node.addr.slice(0, 24)}`,
          vpcSubnetIds: network.vpc.selectSubnets(network.subnets).subnetIds,
          vpcSecurityGroupIds: [network.proxySg.securityGroupId],
          targetRole: 'READ_ONLY',
        });
        this.readOnlyHost = this.proxyReadOnlyEndpoint.attrEndpoint;
      }
    }
  }
}
