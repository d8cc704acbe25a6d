import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../shared/http/defineHandler.js';
import type { HttpEvent } from '../../shared/http/types.js';

const event = (headers: Record<string, string>, sourceIp = '130.176.1.1') =>
  ({ headers, requestContext: { http: { sourceIp } } }) as unknown as HttpEvent;

describe('clientAddress (per-client rate limits behind CloudFront)', () => {
  it('uses the viewer address CloudFront passes on, IPv4 and IPv6', () => {
    expect(clientAddress(event({ 'cloudfront-viewer-address': '203.0.113.7:51234' }))).toBe('203.0.113.7');
    expect(clientAddress(event({ 'cloudfront-viewer-address': '[2001:db8::1]:443' }))).toBe('2001:db8::1');
    expect(clientAddress(event({ 'cloudfront-viewer-address': '2001:db8::1:443' }))).toBe('2001:db8::1');
  });

  it('falls back to the connection address without the header or with a malformed one', () => {
    expect(clientAddress(event({}))).toBe('130.176.1.1');
    expect(clientAddress(event({ 'cloudfront-viewer-address': 'evil; drop' }))).toBe('130.176.1.1');
    expect(clientAddress(event({ 'cloudfront-viewer-address': 'x'.repeat(100) }))).toBe('130.176.1.1');
  });
});
