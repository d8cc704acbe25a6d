import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';
import { unyankVersion } from '../../../shared/packages/versionMarks.js';

export const handler = defineHandler({
  route: 'DELETE /v1/packages/{name}/versions/{version}/yank',
  async handle(input) {
    const name = packageNameFromPath(input.params);
    const body = await unyankVersion(input.deps, name, input.params.version ?? '', { actor: signedIn(input), sourceIp: input.sourceIp });
    return { status: 200, body };
  },
});
