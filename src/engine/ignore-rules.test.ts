import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IgnorePatternError, type IgnoreRules, type ParentMatch, compileIgnorePatterns, parseIgnoreRules, readIgnorePatterns } from './ignore-rules.js';

/** The answer for a path when its folders were matched first, one by one, as the context walk does. */
function walkExcluded(rules: IgnoreRules, file: string): boolean {
  let parent: ParentMatch | null = null;
  const parts = file.split('/');
  for (let depth = 1; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join('/');
    if (folder === '') continue;
    parent = rules.match(folder, parent).parent;
  }
  return rules.match(file, parent).excluded;
}

/** Asserts a path's answer with and without the folders' results, as moby's own table does. */
function expectExcluded(patterns: readonly string[], file: string, excluded: boolean): void {
  const rules = compileIgnorePatterns(patterns);
  const what = `patterns ${JSON.stringify(patterns)} on ${JSON.stringify(file)}`;
  assert.equal(rules.ignores(file), excluded, `${what}: ${excluded ? 'excluded' : 'included'} expected`);
  assert.equal(walkExcluded(rules, file), excluded, `${what} (walked): ${excluded ? 'excluded' : 'included'} expected`);
}

describe('ignore rules: moby/patternmatcher TestMatches table (patternmatcher_test.go)', () => {
  // pattern, path, excluded — moby's `exact` and `inexact` (matched by a parent folder) are both
  // "excluded" here; its `fail` is "included".
  const cases: Array<[string, string, boolean]> = [
    ['**', 'file', true],
    ['**', 'file/', true],
    ['**/', 'file', true],
    ['**/', 'file/', true],
    ['**', '/', true],
    ['**/', '/', true],
    ['**', 'dir/file', true],
    ['**/', 'dir/file', true],
    ['**', 'dir/file/', true],
    ['**/', 'dir/file/', true],
    ['**/**', 'dir/file', true],
    ['**/**', 'dir/file/', true],
    ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/file/', true],
    ['dir/**', 'dir/dir2/file', true],
    ['dir/**', 'dir/dir2/file/', true],
    ['**/dir', 'dir', true],
    ['**/dir', 'dir/file', true],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/*', 'dir/dir2/file/', true],
    ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file/', true],
    ['**file', 'file', true],
    ['**file', 'dir/file', true],
    ['**/file', 'dir/file', true],
    ['**file', 'dir/dir/file', true],
    ['**/file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file.txt', true],
    ['**/file*txt', 'dir/dir/file.txt', true],
    ['**/file*.txt', 'dir/dir/file.txt', true],
    ['**/file*.txt*', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['**/*.txt', 'file.txt', true],
    ['**/**/*.txt', 'file.txt', true],
    ['a**/*.txt', 'a/file.txt', true],
    ['a**/*.txt', 'a/dir/file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a/*.txt', 'a/file.txt', true],
    ['a/*.txt**', 'a/file.txt', true],
    ['a[b-d]e', 'ae', false],
    ['a[b-d]e', 'ace', true],
    ['a[b-d]e', 'aae', false],
    ['a[^b-d]e', 'aze', true],
    ['.*', '.foo', true],
    ['.*', 'foo', false],
    ['abc.def', 'abcdef', false],
    ['abc.def', 'abc.def', true],
    ['abc.def', 'abcZdef', false],
    ['abc?def', 'abcZdef', true],
    ['abc?def', 'abcdef', false],
    ['**/foo/bar', 'foo/bar', true],
    ['**/foo/bar', 'dir/foo/bar', true],
    ['**/foo/bar', 'dir/dir2/foo/bar', true],
    ['abc/**', 'abc', false],
    ['abc/**', 'abc/def', true],
    ['abc/**', 'abc/def/ghi', true],
    ['**/.foo', '.foo', true],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['a(b)c/def', 'a(b)c/xyz', false],
    ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    // Not Windows: a backslash escapes.
    ['a\\\\', 'a\\', true],
    ['a\\*b', 'a*b', true],
  ];
  for (const [pattern, file, excluded] of cases) {
    it(`${pattern} on ${file}: ${excluded ? 'excluded' : 'included'}`, () => expectExcluded([pattern], file, excluded));
  }

  it('multiPatternTests: later patterns and exceptions', () => {
    expectExcluded(['**', '!util/docker/web'], 'util/docker/web/foo', false);
    expectExcluded(['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true);
    expectExcluded(['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false);
    expectExcluded(['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false);
  });

  it('TestPatternMatches… and TestExclusionPattern…: exceptions and folders', () => {
    expectExcluded(['*'], 'fileutils.go', true);
    expectExcluded(['*.go'], 'fileutils.go', true);
    expectExcluded(['!fileutils.go', '*.go'], 'fileutils.go', true);
    expectExcluded(['*.go', '!fileutils.go'], 'fileutils.go', false);
    expectExcluded(['docs', '!docs/README.md'], 'docs/README.md', false);
    expectExcluded(['docs/', '!docs/README.md'], 'docs/README.md', false);
    expectExcluded(['docs/*', '!docs/README.md'], 'docs/README.md', false);
    expectExcluded([], 'any/path/there', false);
  });
});

describe("ignore rules: Go filepath.Match's table, as moby runs it (TestMatch, matchTests)", () => {
  const cases: Array<[string, string, boolean]> = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', true],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['*x', 'xxx', true],
  ];
  for (const [pattern, file, excluded] of cases) {
    it(`${pattern} on ${file}: ${excluded ? 'excluded' : 'included'}`, () => expectExcluded([pattern], file, excluded));
  }

  it('rejects the patterns filepath.Match calls malformed, as docker build does', () => {
    for (const pattern of ['[]a]', '[-]', '[x-]', '[-x]', '\\', '[a-b-c]', '[', '[^', '[^bc', 'a[', '!']) {
      assert.throws(() => compileIgnorePatterns([pattern]), IgnorePatternError, pattern);
    }
  });
});

describe('ignore rules: backslash escapes (Linux and macOS)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a\\*b', 'axb', false],
    ['a\\?b', 'a?b', true],
    ['a\\?b', 'axb', false],
    ['\\[x\\]', '[x]', true],
    ['\\[x\\]', 'x', false],
    ['\\[x]', '[x]', true],
    ['a\\\\b', 'a\\b', true],
    ['a\\.b', 'a.b', true],
    ['a\\.b', 'axb', false],
    ['dir\\/file', 'dir/file', true],
    // An escaped ! or # starts no exception and no comment.
    ['\\!keep', '!keep', true],
    ['\\#notes', '#notes', true],
    // Inside a class, too.
    ['[\\*]x', '*x', true],
    ['[\\*]x', 'ax', false],
    // Docker hands the escape to Go's regexp package: \d is a digit there, not a "d".
    ['file\\d', 'file7', true],
    ['file\\d', 'filed', false],
    // Characters that mean something to a regular expression but not to a glob are literal.
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['c{1,2}', 'c{1,2}', true],
    ['c{1,2}', 'cc', false],
    ['x|y', 'x', false],
    ['x|y', 'x|y', true],
    // A class is a regular-expression class: [^…] negates, [!…] does not.
    ['[^a]', 'b', true],
    ['[^a]', 'a', false],
    ['[!a]', '!', true],
    ['[!a]', 'b', false],
    ['[[:digit:]]x', '5x', true],
    ['[[:digit:]]x', 'ax', false],
  ];
  for (const [pattern, file, excluded] of cases) {
    it(`${pattern} on ${file}: ${excluded ? 'excluded' : 'included'}`, () => expectExcluded([pattern], file, excluded));
  }

  it('a trailing backslash is malformed, also when trimming left it at the end', () => {
    assert.throws(() => parseIgnoreRules('a\\ \n'), /pattern "a\\\\": syntax error/);
  });

  it('an escape Go rejects fails when the pattern is first used, as the build does', () => {
    const rules = parseIgnoreRules('keep\n!x\\y\n', 'ctx/.dockerignore');
    assert.equal(rules.ignores('other'), false, 'the exception is not evaluated when nothing was excluded');
    assert.throws(() => rules.ignores('keep'), (error: unknown) => {
      assert.ok(error instanceof IgnorePatternError);
      assert.equal(error.message, 'ctx/.dockerignore: pattern "!x\\\\y": invalid escape \\y (docker build fails on it too)');
      return true;
    });
  });

  it('refuses what Go matches and JavaScript cannot match the same way, instead of guessing', () => {
    assert.throws(() => parseIgnoreRules('\\pL\n').ignores('a'), /escape only punctuation/);
  });
});

describe('ignore file reading (moby ignorefile.ReadAll)', () => {
  it('skips comments and blank lines, trims, cleans paths, keeps ! exceptions', () => {
    const text = '\uFEFF# comment\r\n\r\n  /secrets/  \n./build/../dist\n! ./docs//keep.md\n #not-a-comment\n/\nlogs/\n';
    assert.deepEqual(readIgnorePatterns(text), ['secrets', 'dist', '!docs/keep.md', '#not-a-comment', '/', 'logs']);
  });

  it('walks an excluded folder only for an exception that names a path under it', () => {
    const rules = parseIgnoreRules('docs\nnode_modules\n!docs/keep.md\n!**/important\n');
    assert.equal(rules.walksExcludedFolder('docs'), true);
    assert.equal(rules.walksExcludedFolder('node_modules'), false, '!**/important does not start with node_modules/');
    assert.equal(parseIgnoreRules('docs\n').walksExcludedFolder('docs'), false);
  });
});
