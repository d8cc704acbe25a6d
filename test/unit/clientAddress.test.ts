import { describe, expect, it } from 'vitest';
import { cameThroughCdn, clientAddress } from '../../shared/http/defineHandler.js';
import type { HttpEvent } from '../../shared/http/types.js';

const SECRET = 'origin-secret-0123456789abcdef';
const event = (headers: Record<string, string>, sourceIp = '130.176.1.1') =>
  ({ headers, requestContext: { http: { sourceIp } } }) as unknown as HttpEvent;
const viaCdn = (viewer: string) => event({ 'x-origin-verify': SECRET, 'cloudfront-viewer-address': viewer });

describe('clientAddress (per-client limits, sessions and audit behind CloudFront)', () => {
  it("uses the viewer address of requests that carry the CDN's origin secret, IPv4 and IPv6", () => {
    expect(clientAddress(viaCdn('203.0.113.7:51234'), SECRET)).toBe('203.0.113.7');
    expect(clientAddress(viaCdn('[2001:db8::1]:443'), SECRET)).toBe('2001:db8::1');
    expect(clientAddress(viaCdn('2001:db8::1:443'), SECRET)).toBe('2001:db8::1');
  });

  it('ignores the header without the secret, with a wrong one, and where there is no CDN (npm start)', () => {
    expect(clientAddress(event({ 'cloudfront-viewer-address': '203.0.113.7:1' }), SECRET)).toBe('130.176.1.1');
    expect(clientAddress(event({ 'x-origin-verify': 'guess', 'cloudfront-viewer-address': '203.0.113.7:1' }), SECRET)).toBe('130.176.1.1');
    expect(clientAddress(viaCdn('203.0.113.7:1'))).toBe('130.176.1.1');
  });

  it('falls back to the connection address with a malformed viewer header', () => {
    expect(clientAddress(viaCdn('evil; drop'), SECRET)).toBe('130.176.1.1');
    expect(clientAddress(viaCdn('x'.repeat(100)), SECRET)).toBe('130.176.1.1');
  });

  it('compares the secret exactly', () => {
    expect(cameThroughCdn(event({ 'x-origin-verify': SECRET }), SECRET)).toBe(true);
    for (const wrong of ['', SECRET.slice(1), `${SECRET}x`, SECRET.toUpperCase()]) {
      expect(cameThroughCdn(event({ 'x-origin-verify': wrong }), SECRET), wrong).toBe(false);
    }
  });
});
