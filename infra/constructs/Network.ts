import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';

/**
 * A VPC with isolated subnets only: no NAT, no internet route. What the functions reach in AWS
 * goes through VPC endpoints: gateway endpoints for DynamoDB and S3 (free) and an interface
 * endpoint for Secrets Manager. Security groups per role: API functions, the migration
 * function, RDS Proxy, the cluster, the interface endpoints.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  /** The API functions (proxy mode). */
  readonly functionsSg: ec2.SecurityGroup;
  /** The migration function: the only one that reaches the cluster directly. */
  readonly migrationSg: ec2.SecurityGroup;
  readonly proxySg: ec2.SecurityGroup;
  readonly databaseSg: ec2.SecurityGroup;
  readonly endpointsSg: ec2.SecurityGroup;
  readonly secretsEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: config.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: config.maxAzs,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.subnets] });

    const sg = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: this.vpc, description, allowAllOutbound: false });
    this.functionsSg = sg('FunctionsSg', 'API Lambda functions: egress to RDS Proxy and AWS endpoints only');
    this.migrationSg = sg('MigrationSg', 'Migration function: egress to the cluster and AWS endpoints only');
    this.proxySg = sg('ProxySg', 'RDS Proxy: from the API functions, to the cluster');
    this.databaseSg = sg('DatabaseSg', 'Aurora cluster: from RDS Proxy and the migration function');
    this.endpointsSg = sg('EndpointsSg', 'Interface endpoints: HTTPS from the functions');

    this.secretsEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: this.subnets,
      privateDnsEnabled: true,
      open: false,
      securityGroups: [this.endpointsSg],
    });

    const https = ec2.Port.tcp(443);
    const postgres = ec2.Port.tcp(5432);
    for (const client of [this.functionsSg, this.migrationSg]) {
      this.endpointsSg.addIngressRule(client, https, 'HTTPS to the Secrets Manager endpoint');
      // Gateway endpoints (DynamoDB, S3) are routes, not addresses: the isolated subnets have no
      // other route out, so HTTPS egress reaches AWS endpoints and nothing else.
      client.addEgressRule(ec2.Peer.anyIpv4(), https, 'HTTPS to AWS service endpoints (no internet route)');
    }
    this.functionsSg.addEgressRule(this.proxySg, postgres, 'PostgreSQL to RDS Proxy');
    this.proxySg.addIngressRule(this.functionsSg, postgres, 'PostgreSQL from the API functions');
    this.proxySg.addEgressRule(this.databaseSg, postgres, 'PostgreSQL to the cluster');
    this.databaseSg.addIngressRule(this.proxySg, postgres, 'PostgreSQL from RDS Proxy');
    this.migrationSg.addEgressRule(this.databaseSg, postgres, 'PostgreSQL to the cluster (migrations)');
    this.databaseSg.addIngressRule(this.migrationSg, postgres, 'PostgreSQL from the migration function');
  }
}
