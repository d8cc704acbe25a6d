import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../../shared/routes.js';
import type { EnvironmentConfig } from '../config.js';
import { planBehaviours, type CacheClass } from '../routePolicy.js';

/** The origin custom header that proves a request came through this distribution (shared/http/defineHandler.ts reads it). */
export const ORIGIN_VERIFY_HEADER_NAME = 'X-Origin-Verify';

/** How long each cache class may be kept at the edge. The origin's Cache-Control decides within. */
export const CACHE_TTLS: Record<Exclude<CacheClass, 'never'>, { default: Duration; max: Duration }> = {
  // Blobs and published versions: their bytes never change, but their visibility can, so the
  // origin sends `s-maxage=300, stale-while-revalidate=60` (private ones `no-store`) and the edge
  // keeps nothing longer than five minutes whatever a response says.
  immutable: { default: Duration.minutes(5), max: Duration.minutes(5) },
  // Package pages, search, the API document.
  brief: { default: Duration.seconds(30), max: Duration.minutes(5) },
};

/**
 * CloudFront in front of the HTTP API. The default behaviour caches nothing and forwards every
 * viewer header except Host (so Authorization reaches the API); only public GET routes get
 * cached behaviours, planned from the route table (routePolicy.planBehaviours). Their cache keys
 * hold the path, the Origin header (CORS answers vary with it), Authorization and, for brief
 * ones, the query string. Authorization is in the key because that is the only way CloudFront
 * forwards it on a cached behaviour: anonymous callers share one entry, a signed-in caller's
 * request (members and read tokens of private registries) reaches the API and is cached, if at
 * all, under that caller's own token. Private answers say `private, no-store` and are never kept.
 * Cookies are neither keyed nor forwarded.
 */
export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly behaviours: ReturnType<typeof planBehaviours>;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: EnvironmentConfig;
      routes: readonly RouteDefinition[];
      apiDomain: string;
      logBucket: s3.IBucket;
      /** Sent with every origin request; the functions refuse requests without it. */
      originSecret: secretsmanager.ISecret;
    },
  ) {
    super(scope, id);
    const origin = new origins.HttpOrigin(props.apiDomain, {
      // Resolved by CloudFormation at deploy time (a dynamic reference), never in the template.
      // CloudFront overwrites a viewer's header of the same name, so it cannot be forged through it.
      customHeaders: { [ORIGIN_VERIFY_HEADER_NAME]: props.originSecret.secretValue.unsafeUnwrap() },
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      readTimeout: Duration.seconds(30),
    });

    const cachePolicy = (cls: Exclude<CacheClass, 'never'>) =>
      new cloudfront.CachePolicy(this, cls === 'immutable' ? 'ImmutableCache' : 'BriefCache', {
        comment: cls === 'immutable' ? 'Archives and published versions' : 'Public package pages and search',
        minTtl: Duration.seconds(0),
        defaultTtl: CACHE_TTLS[cls].default,
        maxTtl: CACHE_TTLS[cls].max,
        headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Origin', 'Authorization'),
        queryStringBehavior:
          cls === 'immutable' ? cloudfront.CacheQueryStringBehavior.none() : cloudfront.CacheQueryStringBehavior.all(),
        cookieBehavior: cloudfront.CacheCookieBehavior.none(),
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      });
    const policies = { immutable: cachePolicy('immutable'), brief: cachePolicy('brief') };
    // Besides the cache key: what CORS preflights need, and the viewer's address for per-client limits.
    const cachedRequests = new cloudfront.OriginRequestPolicy(this, 'CachedRequests', {
      comment: 'Cached public GETs: no cookies (Authorization travels in the cache key)',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
        'Access-Control-Request-Method',
        'Access-Control-Request-Headers',
        'CloudFront-Viewer-Address',
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    this.behaviours = planBehaviours(props.routes);
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    const uncached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: true,
    };
    for (const b of this.behaviours) {
      additionalBehaviors[b.pattern] =
        b.cache === 'never'
          ? uncached
          : {
              origin,
              viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
              allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
              cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
              cachePolicy: policies[b.cache],
              originRequestPolicy: cachedRequests,
              compress: true,
            };
    }

    const domain = props.config.domain;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `RuleStack registry API (${props.config.name})`,
      defaultBehavior: uncached,
      additionalBehaviors,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableIpv6: true,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.config.webAclArn ? { webAclId: props.config.webAclArn } : {}),
      ...(domain
        ? {
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            domainNames: [domain.name],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
          }
        : {}),
    });
  }
}
