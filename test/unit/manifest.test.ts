import { describe, expect, it } from 'vitest';
import { claimsOf, compareVersions, manifestSchema, packageName, packageVersion, precedenceKey } from '../../shared/packages/manifest.js';
import { latestOf, sortVersionsNewestFirst } from '../../shared/packages/Package.js';
import parseSemver from 'semver/functions/parse.js';

const valid = {
  name: 'security-rules',
  version: '1.0.0',
  description: 'Rules for secure code',
  targets: ['cursor', 'claude-code'],
  tags: ['security'],
  files: ['rules/*.md'],
  license: 'MIT',
};

/** The first issue's path and message, as parseWith would report it. */
function problem(input: unknown): { path: string; message: string } {
  const result = manifestSchema.safeParse(input);
  if (result.success) throw new Error(`expected a rejection, got ${JSON.stringify(result.data)}`);
  const issue = result.error.issues[0]!;
  return { path: issue.path.join('.'), message: issue.message };
}

describe('packageName', () => {
  it.each(['a', 'security-rules', 'rules_2', '0day', '@acme/security-rules', '@a_b/c-d'])('accepts %s', (name) => {
    expect(packageName.parse(name)).toBe(name);
  });

  it.each([
    '',
    'Security',
    '-rules',
    '_rules',
    'rules.md',
    'a b',
    '@acme',
    '@acme/',
    '@/rules',
    '@acme/rules/extra',
    'acme/rules',
    '../rules',
    'rules\n',
  ])('rejects %j', (name) => {
    expect(packageName.safeParse(name).success).toBe(false);
  });

  it('caps the length at 214 characters with a clear message', () => {
    expect(packageName.safeParse('a'.repeat(214)).success).toBe(true);
    const result = packageName.safeParse('a'.repeat(215));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be at most 214 characters');
  });

  it('explains the expected shape', () => {
    expect(packageName.safeParse('Bad Name').error?.issues[0]?.message).toMatch(/package name like "my-rules"/);
  });
});

describe('packageVersion', () => {
  it.each(['0.0.0', '1.2.3', '10.20.30', '1.0.0-beta', '1.0.0-rc-1', '1.0.0+build-7', '1.0.0-alpha+001'])(
    'accepts %s',
    (version) => {
      expect(packageVersion.parse(version)).toBe(version);
    },
  );

  it.each(['', '1', '1.2', 'v1.2.3', '1.2.3.4', '1.2.3-', '1.2.3-beta.1', '1.2.3+', ' 1.2.3', '1.2.3 ', 'latest'])(
    'rejects %j',
    (version) => {
      expect(packageVersion.safeParse(version).success).toBe(false);
    },
  );

  it.each(['01.0.0', '1.01.0', '1.0.00', '0001.00.000', '1.0.0-01', '9007199254740992.0.0', '1.9007199254740992.0'])(
    'rejects %j, which the client pattern allows but Semantic Versioning 2.0.0 does not',
    (version) => {
      const result = packageVersion.safeParse(version);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/must be a semantic version \(semver\.org\): numbers without leading zeros/);
    },
  );

  it('accepts what both the client pattern and Semantic Versioning 2.0.0 accept', () => {
    for (const version of ['0.0.0', '1.0.0-0', '1.0.0-0a', '1.0.0+0001', '9007199254740991.0.0']) expect(packageVersion.parse(version)).toBe(version);
  });

  it('caps the length at 64 characters', () => {
    const long = `1.0.0-${'a'.repeat(59)}`;
    expect(long.length).toBe(65);
    expect(packageVersion.safeParse(long).error?.issues[0]?.message).toBe('must be at most 64 characters');
  });
});

describe('manifestSchema', () => {
  it('accepts the manifest rfh sends', () => {
    expect(manifestSchema.parse(valid)).toEqual(valid);
  });

  it('accepts the minimal manifest of the Go client (empty fields omitted, nil slices as null)', () => {
    expect(manifestSchema.parse({ name: 'a', version: '1.0.0', files: ['a.md'], tags: null })).toEqual({
      name: 'a',
      version: '1.0.0',
      description: '',
      targets: [],
      tags: [],
      files: ['a.md'],
      license: undefined,
    });
  });

  it('ignores fields it does not know', () => {
    expect(manifestSchema.parse({ ...valid, homepage: 'https://example.com' })).not.toHaveProperty('homepage');
  });

  it('lower-cases tags and drops the duplicates that makes', () => {
    expect(manifestSchema.parse({ ...valid, tags: ['Security', 'security', ' OWASP '] }).tags).toEqual(['security', 'owasp']);
  });

  it('rejects something that is not an object', () => {
    expect(problem([valid])).toEqual({ path: '', message: 'must be a JSON object' });
    expect(problem('manifest')).toEqual({ path: '', message: 'must be a JSON object' });
  });

  it('requires name and version', () => {
    expect(problem({ ...valid, name: undefined })).toEqual({ path: 'name', message: 'must be a string' });
    expect(problem({ ...valid, version: '' })).toEqual({ path: 'version', message: 'is required' });
    expect(problem({ ...valid, version: '1.0' }).message).toMatch(/version like 1\.2\.3/);
  });

  it('limits the description to 1000 characters', () => {
    expect(manifestSchema.safeParse({ ...valid, description: 'x'.repeat(1000) }).success).toBe(true);
    expect(problem({ ...valid, description: 'x'.repeat(1001) })).toEqual({
      path: 'description',
      message: 'must be at most 1000 characters',
    });
  });

  it('limits tags to 20 of 1 to 50 characters of letters, digits and "-"', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
    expect(manifestSchema.safeParse({ ...valid, tags: twenty }).success).toBe(true);
    expect(problem({ ...valid, tags: [...twenty, 'one-more'] })).toEqual({ path: 'tags', message: 'must have at most 20 tags' });
    expect(problem({ ...valid, tags: ['ok', 'x'.repeat(51)] })).toEqual({
      path: 'tags.1',
      message: 'must be at most 50 characters',
    });
    expect(problem({ ...valid, tags: [''] })).toEqual({ path: 'tags.0', message: 'must not be empty' });
    expect(problem({ ...valid, tags: ['two words'] }).message).toMatch(/only letters, digits and "-"/);
    expect(problem({ ...valid, tags: ['-leading'] }).path).toBe('tags.0');
    expect(problem({ ...valid, tags: 'security' })).toEqual({ path: 'tags', message: 'must be a list of tags' });
    expect(problem({ ...valid, tags: [42] })).toEqual({ path: 'tags.0', message: 'must be a string' });
  });

  it('limits targets to 20 of 1 to 50 characters', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `tool-${i}`);
    expect(manifestSchema.safeParse({ ...valid, targets: twenty }).success).toBe(true);
    expect(problem({ ...valid, targets: [...twenty, 'windsurf'] })).toEqual({
      path: 'targets',
      message: 'must have at most 20 targets',
    });
    expect(problem({ ...valid, targets: ['x'.repeat(51)] })).toEqual({
      path: 'targets.0',
      message: 'must be at most 50 characters',
    });
    expect(problem({ ...valid, targets: ['cursor; rm -rf /'] }).message).toMatch(/tool name like "cursor"/);
  });

  it('limits files to 100 entries', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `rules/${i}.md`);
    expect(manifestSchema.safeParse({ ...valid, files: hundred }).success).toBe(true);
    expect(problem({ ...valid, files: [...hundred, 'one-more.md'] })).toEqual({
      path: 'files',
      message: 'must have at most 100 files',
    });
    expect(problem({ ...valid, files: [''] })).toEqual({ path: 'files.0', message: 'must not be empty' });
  });

  it('limits the license to 100 characters', () => {
    expect(problem({ ...valid, license: 'x'.repeat(101) })).toEqual({
      path: 'license',
      message: 'must be at most 100 characters',
    });
    expect(manifestSchema.parse({ ...valid, license: null }).license).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it('orders by major, minor and patch numerically', () => {
    expect(compareVersions('1.0.0', '2.0.0')).toBe(-1);
    expect(compareVersions('2.0.0', '1.0.0')).toBe(1);
    expect(compareVersions('1.2.0', '1.10.0')).toBe(-1);
    expect(compareVersions('1.0.9', '1.0.10')).toBe(-1);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
  });

  it('orders plain versions, read without semver, exactly as semver orders them, also against the others', () => {
    const versions = ['0.0.1', '1.0.0', '01.0.0', '1.0.0-beta', '1.0.0+build.5', '1.9.9', '1.10.0', '2.0.0-rc.1', '10.0.0', '999999999999999.0.0', '9007199254740993.0.0', 'v1.0.0'];
    for (const a of versions) {
      for (const b of versions) {
        const [x, y] = [parseSemver(a, { loose: true }), parseSemver(b, { loose: true })];
        const expected = x && y ? x.compare(y) : x || y ? (x ? 1 : -1) : a < b ? -1 : a > b ? 1 : 0;
        expect(compareVersions(a, b), `${a} against ${b}`).toBe(expected);
      }
    }
    expect(sortVersionsNewestFirst(['1.0.0', '1.10.0', '1.0.0-beta', '1.9.9', '01.0.0'])).toEqual(['1.10.0', '1.9.9', '1.0.0', '01.0.0', '1.0.0-beta']);
  });

  it('reads versions stored before leading zeros were refused by their value', () => {
    expect(compareVersions('01.0.0', '1.0.0')).toBe(0);
    expect(compareVersions('01.10.0', '1.9.0')).toBe(1);
  });

  it('sorts stored strings semver cannot read (numbers beyond 2^53) below every version, by their text', () => {
    expect(compareVersions('9007199254740993.0.0', '0.0.1')).toBe(-1);
    expect(compareVersions('0.0.1', '9007199254740993.0.0')).toBe(1);
    expect(compareVersions('9007199254740993.0.0', '9007199254740992.0.0')).toBe(1);
  });

  it('puts a pre-release before its release and after the previous release', () => {
    expect(compareVersions('1.0.0-beta', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0', '1.0.0-beta')).toBe(1);
    expect(compareVersions('0.9.9', '1.0.0-alpha')).toBe(-1);
  });

  it('compares numeric pre-release identifiers numerically, below alphanumeric ones', () => {
    expect(compareVersions('1.0.0-2', '1.0.0-10')).toBe(-1);
    expect(compareVersions('1.0.0-10', '1.0.0-alpha')).toBe(-1);
    expect(compareVersions('1.0.0-alpha', '1.0.0-beta')).toBe(-1);
    expect(compareVersions('1.0.0-RC', '1.0.0-rc')).toBe(-1);
    expect(compareVersions('1.0.0-rc', '1.0.0-rc')).toBe(0);
  });

  it('ignores build metadata', () => {
    expect(compareVersions('1.0.0+001', '1.0.0+999')).toBe(0);
    expect(compareVersions('1.0.0-beta+exp', '1.0.0-beta')).toBe(0);
    expect(compareVersions('1.0.0+build', '1.0.1')).toBe(-1);
  });

  it('sorts a list newest last, as Array.prototype.sort expects', () => {
    const shuffled = ['1.10.0', '1.0.0', '1.0.0-rc', '2.0.0-alpha', '1.2.0', '1.0.0-beta', '1.0.0-1', '2.0.0'];
    expect([...shuffled].sort(compareVersions)).toEqual([
      '1.0.0-1',
      '1.0.0-beta',
      '1.0.0-rc',
      '1.0.0',
      '1.2.0',
      '1.10.0',
      '2.0.0-alpha',
      '2.0.0',
    ]);
  });

});

describe('precedenceKey', () => {
  it('is shared exactly by versions equal in precedence', () => {
    expect(precedenceKey('1.0.0+evil')).toBe('1.0.0');
    expect(precedenceKey('1.0.0')).toBe('1.0.0');
    expect(precedenceKey('1.0.0-rc+build-7')).toBe('1.0.0-rc');
    expect(precedenceKey('1.0.0-rc')).not.toBe(precedenceKey('1.0.0-RC'));
  });

  it('throws on strings that are not semantic versions', () => {
    expect(() => precedenceKey('01.0.0')).toThrow(TypeError);
  });
});

describe('sortVersionsNewestFirst and latestOf', () => {
  it('order by semver, equal-precedence twins stored earlier in a fixed order', () => {
    const stored = ['1.0.0', '01.0.0', '1.0.0+evil', '1.10.0', '1.9.0', '2.0.0-rc', '9007199254740993.0.0'];
    expect(sortVersionsNewestFirst(stored)).toEqual(['2.0.0-rc', '1.10.0', '1.9.0', '1.0.0+evil', '1.0.0', '01.0.0', '9007199254740993.0.0']);
    expect(sortVersionsNewestFirst([...stored].reverse())).toEqual(sortVersionsNewestFirst(stored));
    expect(latestOf(stored)).toBe('1.10.0');
    expect(latestOf(['1.0.0-rc', '1.0.0-beta'])).toBe('1.0.0-rc');
  });

  it('answer a list already newest first as it is, and any order as the full sort does', () => {
    const fullSort = (versions: string[]) => [...versions].sort((a, b) => compareVersions(b, a) || (a < b ? 1 : a > b ? -1 : 0));
    const permutations = (items: string[]): string[][] =>
      items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
    for (const set of [
      ['1.10.0', '1.9.0', '1.2.0', '0.10.1', '0.9.12'],
      ['10.0.0', '9.99.99', '1.0.10', '1.0.9'],
      ['1.0.0', '01.0.0', '1.0.1', '1.0.0-rc'],
      ['999999999999999.0.0', '99999999999999.9.9', '2.0.0'],
    ]) {
      for (const order of permutations(set)) expect(sortVersionsNewestFirst(order), order.join(' ')).toEqual(fullSort(order));
    }
    const newestFirst = ['1.10.0', '1.9.0', '1.2.0'];
    expect(sortVersionsNewestFirst(newestFirst)).toBe(newestFirst);
  });
});

describe('claimsOf', () => {
  it('states name and version, and only the fields the form gave', () => {
    const raw = { name: 'a', version: '1.0.0', files: ['a.md'], tags: null, license: '' };
    expect(claimsOf(manifestSchema.parse(raw), raw)).toEqual({ name: 'a', version: '1.0.0', files: ['a.md'], license: '' });
    expect(claimsOf(manifestSchema.parse(valid), valid)).toEqual(valid);
  });
});
