import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { RegistryStack } from './RegistryStack.js';
import { BLOBS_PREFIX, STAGING_PREFIX, dataNeeds } from './routePolicy.js';

/**
 * cdk-nag (AwsSolutions) findings this stack accepts, each on the narrowest construct it
 * concerns and with its reason. Anything not listed here fails synthesis.
 */

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

const RUNTIME_REASON =
  'nodejs22.x is the chosen Lambda runtime (docs/ARCHITECTURE.md: Node 20 locally, nodejs22.x on Lambda; the toolchain ' +
  'pins middy 6 and vitest 4, which predate Node 24). Moving to nodejs24.x is one constant in infra/bundling.ts once ' +
  'the suite runs on Node 24.';

const VPC_ENI_REASON =
  'Lambda creates and deletes the network interfaces of a VPC-attached function with its execution role; ' +
  'ec2:CreateNetworkInterface/Describe*/DeleteNetworkInterface cannot be scoped to interfaces that do not exist ' +
  'yet (the same statement as the AWS managed AWSLambdaVPCAccessExecutionRole, without its logs:* on every group). ' +
  'No data actions are in this statement.';

export function applyNagSuppressions(stack: RegistryStack): void {
  const { apiFunctions, migrations, stores, httpApi, cdn, database } = stack;
  const inVpc = database.proxy !== undefined;

  for (const { fn, role } of apiFunctions.functions) {
    ack(fn, 'AwsSolutions-L1', RUNTIME_REASON);
    if (inVpc) ack(role, 'AwsSolutions-IAM5[Resource::*]', VPC_ENI_REASON);
  }
  ack(migrations.fn, 'AwsSolutions-L1', RUNTIME_REASON);
  if (stack.sideEffects) {
    ack(stack.sideEffects.consumer, 'AwsSolutions-L1', RUNTIME_REASON);
    if (inVpc) ack(stack.sideEffects.consumer.role!, 'AwsSolutions-IAM5[Resource::*]', VPC_ENI_REASON);
  }
  ack(migrations.fn.role!, 'AwsSolutions-IAM5[Resource::*]', VPC_ENI_REASON);

  // Archive objects are content-addressed under one prefix: their keys are unknown at deploy time.
  const archiveObjects = `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(
    stores.archiveBucket.node.defaultChild as import('aws-cdk-lib').CfnElement,
  )}.Arn>/${BLOBS_PREFIX}*]`;
  for (const { role } of apiFunctions.functions) {
    ack(
      role,
      archiveObjects,
      `Objects are named by the SHA-256 of their content, so the statement can only name the ${BLOBS_PREFIX} prefix of the one ` +
        'archive bucket; the actions are listed one by one (GetObject, and PutObject/AbortMultipartUpload for publishing only).',
    );
  }

  // Staged archives have random names; only the publish function may touch them.
  const stagedObjects = `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(
    stores.archiveBucket.node.defaultChild as import('aws-cdk-lib').CfnElement,
  )}.Arn>/${STAGING_PREFIX}*]`;
  for (const { role, route } of apiFunctions.functions) {
    if (dataNeeds(route).bucket !== 'read-write') continue;
    ack(
      role,
      stagedObjects,
      `A publish stages its archive under a random name in the ${STAGING_PREFIX} prefix before copying it to its content ` +
        'address, so the statement can only name that prefix; a lifecycle rule expires what stays there after a day.',
    );
  }

  ack(
    stores.jwtSecret,
    'AwsSolutions-SMG4',
    'The JWT signing key: rotating it signs every user out, and the token service verifies with a single key (no ' +
      'key id yet). Rotate by hand (put-secret-value, then restart the functions) until tokens carry a kid and the ' +
      'verifier accepts the previous key for one session lifetime.',
  );
  ack(
    stores.originSecret,
    'AwsSolutions-SMG4',
    "CloudFront's origin secret is copied into the distribution's configuration at deploy time; a rotation would " +
      'lock CloudFront out until the next deploy. Rotate by redeploying after put-secret-value (functions read it at cold start).',
  );
  ack(
    stores.rootPasswordSecret,
    'AwsSolutions-SMG4',
    'A bootstrap credential: the migration function hashes it into the root user only when no root user exists. ' +
      "Rotating the secret would not change root's password (that is done through the API), so rotation would only " +
      'make the secret lie.',
  );

  // Routes authenticate in the function (bearer token + DynamoDB session, role from the route table,
  // shared/http/defineHandler.ts); public routes are public by design (health, register, login, reads).
  ack(
    httpApi.api,
    'AwsSolutions-APIG4',
    'Authorization is enforced in every function by the shared middleware from the route table (token signature, ' +
      'session lookup in DynamoDB with revocation, minimum role per route); an API Gateway authorizer would add a ' +
      'second round trip per request for the same check. Public routes (health, register, login, package reads) are ' +
      'public by design.',
  );

  if (!stack.config.deletionProtection) {
    ack(
      database.cluster,
      'AwsSolutions-RDS10',
      `Deletion protection is on in prod only; ${stack.config.name} is rebuilt from migrations and its cluster is ` +
        'meant to be deleted with its stack (prod also retains the cluster and snapshots on stack deletion).',
    );
  }

  const distribution = cdn.distribution;
  ack(
    distribution,
    'AwsSolutions-CFR1',
    'A public package registry used worldwide by a CLI; there is no country to exclude.',
  );
  if (!stack.config.domain) {
    ack(
      distribution,
      'AwsSolutions-CFR4',
      'Without a custom domain (context domainName + certificateArn) CloudFront serves its default *.cloudfront.net ' +
        'certificate, whose policy cannot be changed; with a domain the distribution enforces TLSv1.2_2021.',
    );
  }
  if (!stack.config.webAclArn) {
    ack(
      distribution,
      'AwsSolutions-CFR2',
      'A CloudFront web ACL must live in us-east-1, outside this regional stack: deploy RfhWebAcl-<env> (-c webAcl=create, ' +
        'infra/WebAclStack.ts) and pass its ARN as context webAclArn. Until then abuse is limited by per-route API Gateway ' +
        'throttling and per-client limits in the handlers.',
    );
  }

  // CDK's singleton that sets the retention of the cluster's exported PostgreSQL log group.
  const logRetention = Stack.of(stack).node.children.find((c) => c.node.id.startsWith('LogRetention'));
  if (logRetention) {
    ack(
      logRetention,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's log-retention helper function (sets the retention of RDS's exported log group at deploy time); its " +
        'role and runtime are managed by aws-cdk-lib.',
    );
    ack(
      logRetention,
      'AwsSolutions-IAM5[Resource::*]',
      "CDK's log-retention helper must act on log groups whose names RDS chooses (/aws/rds/cluster/<id>/postgresql).",
    );
  }
}
