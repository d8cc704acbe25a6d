import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * What differs between environments. Chosen with `-c env=dev|staging|prod`; everything else
 * in the stack is identical, so staging proves what prod will run.
 */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type EnvName = (typeof ENVIRONMENTS)[number];

/**
 * How the Lambdas reach PostgreSQL.
 * - `proxy`: in the VPC, through RDS Proxy with an IAM token (TLS), one small pg pool per container.
 * - `data-api`: the RDS Data API over HTTPS; the API Lambdas need no VPC (the migration
 *   function still runs in the VPC: it connects to the cluster directly).
 */
export type DataAccess = 'proxy' | 'data-api';

export interface EnvironmentConfig {
  name: EnvName;
  /** Aurora Serverless v2 capacity in ACUs (0 lets an idle cluster pause; behind RDS Proxy the floor is 0.5). */
  auroraMinAcu: number;
  auroraMaxAcu: number;
  /** A reader instance (and a read-only proxy endpoint that search may use). */
  auroraReader: boolean;
  backupRetention: Duration;
  deletionProtection: boolean;
  /** What happens to data stores when the stack (or the resource) is deleted. */
  dataRemovalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  maxAzs: number;
  dataAccess: DataAccess;
  /**
   * The route table's limits are per client. API Gateway's route throttling is for the route
   * as a whole, so the route-wide ceiling is the per-client limit times this many clients
   * at full speed at once. Per-client limits stay with the handlers (and WAF where used).
   */
  throttleConcurrentClients: number;
  /** Noncurrent archive versions are kept this long (a deleted or overwritten blob can be restored). */
  noncurrentVersionDays: number;
  /** Where the SNS alarm topic sends e-mail; optional. */
  alarmEmail?: string;
  /** Allowed CORS origins for the API ('*' for any). */
  corsOrigins: string[];
  /** Custom domain for CloudFront (certificate in us-east-1) and for the HTTP API (regional certificate). */
  domain?: { name: string; certificateArn: string };
  apiDomain?: { name: string; certificateArn: string };
  /** An existing CloudFront (us-east-1) WAF web ACL to attach to the distribution. */
  webAclArn?: string;
}

const BASE: Record<EnvName, EnvironmentConfig> = {
  dev: {
    name: 'dev',
    auroraMinAcu: 0,
    auroraMaxAcu: 2,
    auroraReader: false,
    backupRetention: Duration.days(1),
    deletionProtection: false,
    dataRemovalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.ONE_WEEK,
    maxAzs: 2,
    dataAccess: 'proxy',
    throttleConcurrentClients: 10,
    noncurrentVersionDays: 7,
    corsOrigins: ['*'],
  },
  staging: {
    name: 'staging',
    auroraMinAcu: 0.5,
    auroraMaxAcu: 4,
    auroraReader: false,
    backupRetention: Duration.days(7),
    deletionProtection: false,
    dataRemovalPolicy: RemovalPolicy.SNAPSHOT,
    logRetention: RetentionDays.ONE_MONTH,
    maxAzs: 2,
    dataAccess: 'proxy',
    throttleConcurrentClients: 50,
    noncurrentVersionDays: 30,
    corsOrigins: ['*'],
  },
  prod: {
    name: 'prod',
    auroraMinAcu: 0.5,
    auroraMaxAcu: 16,
    auroraReader: true,
    backupRetention: Duration.days(30),
    deletionProtection: true,
    dataRemovalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.SIX_MONTHS,
    maxAzs: 3,
    dataAccess: 'proxy',
    throttleConcurrentClients: 200,
    noncurrentVersionDays: 90,
    corsOrigins: ['*'],
  },
};

/** Reads a context value that may come as a string from `-c key=value`. */
type ContextReader = (key: string) => unknown;

function str(read: ContextReader, key: string): string | undefined {
  const v = read(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`Context value ${key} must be a string`);
  return v;
}

/**
 * The environment's configuration from CDK context. Optional overrides:
 * `dataAccess=proxy|data-api`, `alarmEmail=ops@example.com`, `corsOrigins=https://a,https://b`,
 * `domainName` + `certificateArn` (CloudFront, us-east-1 certificate),
 * `apiDomainName` + `apiCertificateArn` (HTTP API, regional certificate),
 * `webAclArn` (a CloudFront web ACL, created in us-east-1).
 */
export function environmentFromContext(read: ContextReader): EnvironmentConfig {
  const name = str(read, 'env') ?? 'dev';
  if (!(ENVIRONMENTS as readonly string[]).includes(name)) {
    throw new Error(`Unknown environment "${name}": use -c env=${ENVIRONMENTS.join('|')}`);
  }
  const base = BASE[name as EnvName];
  const dataAccess = str(read, 'dataAccess') ?? base.dataAccess;
  if (dataAccess !== 'proxy' && dataAccess !== 'data-api') {
    throw new Error(`Unknown dataAccess "${dataAccess}": use proxy or data-api`);
  }
  const pair = (domainKey: string, certKey: string) => {
    const domainName = str(read, domainKey);
    const certificateArn = str(read, certKey);
    if (!domainName && !certificateArn) return undefined;
    if (!domainName || !certificateArn) throw new Error(`Set both ${domainKey} and ${certKey}, or neither`);
    return { name: domainName, certificateArn };
  };
  const corsOrigins = str(read, 'corsOrigins');
  const alarmEmail = str(read, 'alarmEmail');
  const domain = pair('domainName', 'certificateArn');
  const webAclArn = str(read, 'webAclArn');
  const apiDomain = pair('apiDomainName', 'apiCertificateArn');
  return {
    ...base,
    dataAccess,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(corsOrigins ? { corsOrigins: corsOrigins.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(domain ? { domain } : {}),
    ...(apiDomain ? { apiDomain } : {}),
    ...(webAclArn ? { webAclArn } : {}),
  };
}
