import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';

// The stores talk to the plain DynamoDBClient and convert items here, instead of going through
// lib-dynamodb's DocumentClient: the document client cannot use the SDK's `cacheMiddleware`
// (aws/aws-sdk-js-v3#7801), and resolving the middleware stack on every call was the largest
// allocator of an authenticated request (see docs/BENCHMARKS.md). The stored shapes are the same
// as the document client's (numbers as N, arrays as L).

export const toItem = (value: object): Record<string, AttributeValue> =>
  marshall(value as Record<string, NativeAttributeValue>, { removeUndefinedValues: true });

export const fromItem = <T>(item: Record<string, AttributeValue>): T => unmarshall(item) as T;
