import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { privateProblem } from './private-path.js';

const stats = (kind: 'folder' | 'file' | 'socket' | 'link', uid: number, mode: number) => ({
  uid,
  mode,
  isDirectory: () => kind === 'folder',
  isFile: () => kind === 'file',
  isSocket: () => kind === 'socket',
  isSymbolicLink: () => kind === 'link',
});

describe('privateProblem', () => {
  it('accepts the user\'s own folder, file and socket that only they may write to', () => {
    assert.equal(privateProblem('/s', 'folder', stats('folder', 1000, 0o40700), 1000), null);
    assert.equal(privateProblem('/s', 'folder', stats('folder', 1000, 0o40755), 1000), null);
    assert.equal(privateProblem('/s/f', 'file', stats('file', 1000, 0o100600), 1000), null);
    assert.equal(privateProblem('/r/daemon.sock', 'socket', stats('socket', 1000, 0o140600), 1000), null);
  });

  it('refuses another user\'s, one others may write to, and the wrong kind, naming the path and what to do', () => {
    assert.match(privateProblem('/s', 'folder', stats('folder', 65534, 0o40700), 1000) ?? '', /^basewatch's folder \/s belongs to another user \(uid 65534, you are uid 1000\).*remove it/);
    assert.match(privateProblem('/s', 'folder', stats('folder', 1000, 0o40775), 1000) ?? '', /folder \/s may be written by other users \(mode 775\).*`chmod 700 \/s`/);
    assert.match(privateProblem('/r/daemon.sock', 'socket', stats('socket', 1000, 0o140666), 1000) ?? '', /control socket \/r\/daemon.sock may be written by other users \(mode 666\)/);
    assert.match(privateProblem('/r/daemon.sock', 'socket', stats('link', 1000, 0o120777), 1000) ?? '', /is not a socket \(a symbolic link\)/);
    assert.match(privateProblem('/s', 'folder', stats('file', 1000, 0o100600), 1000) ?? '', /is not a folder/);
  });

  it('judges nothing where there are no uids', () => {
    assert.equal(privateProblem('/s', 'folder', stats('folder', 0, 0o40777), null), null);
  });
});
