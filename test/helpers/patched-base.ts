// A base as upstream published it (v1), then patched (v2) under the same tag: the fixture the
// rebase, update and daemon tests share.
import { docker, makeBaseImage, pushImage, uniqueName } from './world.js';

export interface Patched {
  baseRef: string;
  oldBaseId: string;
  newBaseId: string;
  newDigest: string;
}

/**
 * A base as upstream published it (v1), then a patched v2 under the same tag with a newer
 * openssl, a changed base ENV and a new file. Locally the tag stays on v1, as after `docker pull`
 * last week.
 */
export async function patchedBase(registry: string): Promise<Patched> {
  const baseRef = `${registry}/${uniqueName('deb')}:12-slim`;
  const common = { '/etc/motd': 'welcome\n', '/usr/share/base/readme': 'base\n' };
  const oldBaseId = await makeBaseImage({
    ref: baseRef,
    files: { ...common, '/etc/base-version': 'v1\n' },
    env: { BASE_VERSION: '1', LANG: 'C.UTF-8' },
    dpkg: [
      { name: 'libc6', version: '2.36-9' },
      { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' },
      { name: 'openssl', version: '3.0.15-1~deb12u1' },
    ],
  });
  await pushImage(baseRef);
  const newBaseId = await makeBaseImage({
    ref: baseRef,
    files: { ...common, '/etc/base-version': 'v2\n', '/etc/patched': 'yes\n' },
    env: { BASE_VERSION: '2', LANG: 'C.UTF-8' },
    dpkg: [
      { name: 'libc6', version: '2.36-9' },
      { name: 'libssl3', version: '3.0.16-1~deb12u1', source: 'openssl' },
      { name: 'openssl', version: '3.0.16-1~deb12u1' },
    ],
  });
  const newDigest = await pushImage(baseRef);
  await docker(['tag', oldBaseId, baseRef]);
  // The engine must pull v2 itself, as on a developer's machine that never had it.
  await docker(['image', 'rm', newBaseId]).catch(() => '');
  return { baseRef, oldBaseId, newBaseId, newDigest };
}

