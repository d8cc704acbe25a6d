import busboy from 'busboy';
import { ApiError, badRequest, payloadTooLarge } from '../errors.js';
import { PUBLISH_BODY_LIMIT } from '../routes.js';

export const MANIFEST_MAX_BYTES = 64 * 1024;

const TRUNCATED = 'Malformed multipart/form-data request: the body ends inside a form part (truncated upload?)';

export interface PublishForm {
  manifest: Buffer;
  archive: Buffer;
}

/**
 * Reads the multipart form `rfh publish` sends: file parts `manifest` (JSON) and `archive`
 * (the .tgz). A manifest sent as a plain field is accepted too. Anything else is refused:
 * unknown parts, repeated parts, oversized parts.
 */
export function parsePublishForm(body: Buffer, contentType: string | undefined): Promise<PublishForm> {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) {
    return Promise.reject(new ApiError(415, 'Publish expects multipart/form-data with the parts "manifest" and "archive"'));
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 2, fields: 2, parts: 4, fileSize: PUBLISH_BODY_LIMIT, fieldSize: MANIFEST_MAX_BYTES, headerPairs: 20 },
      });
    } catch {
      reject(badRequest('Malformed multipart/form-data request (missing boundary?)'));
      return;
    }
    const parts: Partial<Record<'manifest' | 'archive', Buffer>> = {};
    let failure: ApiError | undefined;
    const fail = (err: ApiError) => {
      failure ??= err;
    };
    const accept = (name: string, data: Buffer) => {
      if (name !== 'manifest' && name !== 'archive') return fail(badRequest(`Unexpected form part "${name.slice(0, 50)}": send only "manifest" and "archive"`));
      if (parts[name]) return fail(badRequest(`Form part "${name}" was sent more than once`));
      if (name === 'manifest' && data.length > MANIFEST_MAX_BYTES) {
        return fail(payloadTooLarge(`The manifest is too large: at most ${MANIFEST_MAX_BYTES} bytes`));
      }
      parts[name] = data;
    };
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(payloadTooLarge(`Form part "${name}" is too large`)));
      // A form that ends inside this part fails the part's stream as well as the parser: without
      // this listener that error would be unhandled and end the process.
      stream.on('error', () => fail(badRequest(TRUNCATED)));
      stream.on('close', () => accept(name, Buffer.concat(chunks)));
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(payloadTooLarge(`Form part "${name}" is too large`));
      accept(name, Buffer.from(value, 'utf8'));
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(badRequest('Too many form parts: send only "manifest" and "archive"')));
    }
    parser.on('error', (err: Error) =>
      reject(failure ?? badRequest(err.message === 'Unexpected end of form' ? TRUNCATED : 'Malformed multipart/form-data request')),
    );
    parser.on('close', () => {
      if (failure) return reject(failure);
      if (!parts.manifest) return reject(badRequest('Missing form part "manifest"'));
      if (!parts.archive || parts.archive.length === 0) return reject(badRequest('Missing form part "archive"'));
      resolve({ manifest: parts.manifest, archive: parts.archive });
    });
    parser.end(body);
  });
}
