import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../config.js';

// One logger, tracer and metrics emitter per process (per Lambda container). Logs are JSON lines
// on stdout everywhere (CloudWatch in AWS, the terminal locally); POWERTOOLS_LOG_LEVEL sets the
// level. Tracing is on only inside Lambda. CloudWatch embedded metrics are emitted only inside
// Lambda, where a container handles one request at a time; the local server, which handles many
// at once, keeps its figures in the in-process registry behind GET /v1/metrics instead.

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

// Loaded only inside Lambda and only where tracing is asked for (POWERTOOLS_TRACE_ENABLED=true,
// to be set together with active tracing on the function). The stack turns on neither: HTTP APIs
// pass no sampled trace header and the functions' tracing mode is PassThrough, so no trace would
// be recorded. Loading it costs a function's init the X-Ray SDK (about 15 ms of CPU here), and
// the SDK installs async_hooks with destroy tracking on every promise as soon as it is imported,
// which cost the local server about a tenth of its CPU.
// The stack's bundling also leaves the tracer out (RFH_BUNDLE_TRACING, infra/bundling.ts).
export const tracer: Tracer | undefined =
  process.env.RFH_BUNDLE_TRACING !== 'without' && inLambda && process.env.POWERTOOLS_TRACE_ENABLED === 'true'
    ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: SERVICE_NAME })
    : undefined;

export const metrics = new Metrics({ namespace: 'RuleStack', serviceName: SERVICE_NAME });
