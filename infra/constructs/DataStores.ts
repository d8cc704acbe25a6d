import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SESSIONS_TABLE } from '../../shared/adapters/dynamodb/sessionsTable.js';
import type { EnvironmentConfig } from '../config.js';
import { STAGING_PREFIX } from '../routePolicy.js';

/** Characters kept out of generated passwords: they need quoting in URLs, shells or SQL. */
export const PASSWORD_EXCLUDED_CHARACTERS = ` %+~\`#$&*()|[]{}:;<>?!'/@"\\`;

/**
 * The stores outside PostgreSQL: the DynamoDB sessions table, the archive bucket (with its
 * access-log bucket, shared with CloudFront) and the generated secrets.
 */
export class DataStores extends Construct {
  readonly sessionsTable: dynamodb.TableV2;
  readonly archiveBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  /** The JWT signing key: a random string, read by the functions at cold start. */
  readonly jwtSecret: secretsmanager.Secret;
  /** The root user's initial password, read only by the migration function. */
  readonly rootPasswordSecret: secretsmanager.Secret;
  /**
   * What CloudFront adds to every request it sends to the API (header X-Origin-Verify); the
   * functions refuse requests without it, and trust a viewer address only with it.
   */
  readonly originSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    const prod = config.name === 'prod';

    // Sessions, per-user auth state and login-throttle counters (shared/adapters/dynamodb/sessionsTable.ts).
    this.sessionsTable = new dynamodb.TableV2(this, 'Sessions', {
      partitionKey: { name: SESSIONS_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: SESSIONS_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: prod,
      removalPolicy: config.dataRemovalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: SESSIONS_TABLE.userIndex.name,
          partitionKey: { name: SESSIONS_TABLE.userIndex.partitionKey, type: dynamodb.AttributeType.NUMBER },
          // Clean-up needs only the keys of a user's sessions.
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        },
      ],
    });

    // Buckets are kept when the stack goes: they hold published archives and audit logs.
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(prod ? 365 : 30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.archiveBucket = new s3.Bucket(this, 'Archives', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3-archives/',
      lifecycleRules: [
        {
          id: 'orphans-and-old-versions',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(config.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
        },
        {
          // What a failed publish left under the staging prefix (never a content-addressed
          // archive): expired a day after it was written, its noncurrent version a day later.
          id: 'expire-staged-archives',
          prefix: STAGING_PREFIX,
          expiration: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const secretRemoval = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSigningKey', {
      description: 'HMAC key that signs the registry API bearer tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: secretRemoval,
    });
    this.originSecret = new secretsmanager.Secret(this, 'CdnOriginSecret', {
      description: 'Sent by CloudFront to the registry API with every request (X-Origin-Verify): proof a request came through the CDN',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: secretRemoval,
    });
    this.rootPasswordSecret = new secretsmanager.Secret(this, 'RootPassword', {
      description: 'Initial password of the registry "root" user (set by the migration function if root is missing)',
      generateSecretString: { passwordLength: 32, excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS },
      removalPolicy: secretRemoval,
    });
  }
}
