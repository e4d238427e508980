import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerEntry, LayerScan } from '../../archive/layer-scan.js';
import { checkSeam, type SeamFinding } from './seam-check.js';

/**
 * A layer from short specs: "dir/" a folder, "a -> b" a symlink, "a => b" a hard link,
 * "dir/.wh.name" a whiteout of dir/name, "dir/.wh..wh..opq" an opaque dir, else a file.
 */
function entry(spec: string): LayerEntry {
  const plain = { mode: 0o644, size: 0, linkname: null, whiteout: null } as const;
  const symlink = /^(.+) -> (.+)$/.exec(spec);
  if (symlink?.[1] !== undefined && symlink[2] !== undefined) {
    return { ...plain, path: symlink[1], type: 'symlink', mode: 0o777, linkname: symlink[2] };
  }
  const hardlink = /^(.+) => (.+)$/.exec(spec);
  if (hardlink?.[1] !== undefined && hardlink[2] !== undefined) {
    return { ...plain, path: hardlink[1], type: 'hardlink', linkname: hardlink[2] };
  }
  if (spec.endsWith('/')) return { ...plain, path: spec.slice(0, -1), type: 'dir', mode: 0o755 };
  const slash = spec.lastIndexOf('/');
  const dir = slash < 0 ? '' : spec.slice(0, slash);
  const name = spec.slice(slash + 1);
  if (name === '.wh..wh..opq') return { ...plain, path: dir, type: 'file', whiteout: 'opaque' };
  if (name.startsWith('.wh.')) {
    const deleted = name.slice('.wh.'.length);
    return { ...plain, path: dir === '' ? deleted : `${dir}/${deleted}`, type: 'file', whiteout: 'whiteout' };
  }
  return { ...plain, path: spec, type: 'file' };
}

let nextId = 0;
function layer(...specs: string[]): LayerScan {
  nextId += 1;
  return { diffId: `sha256:${String(nextId).padStart(64, '0')}`, size: 0, entries: specs.map(entry), captured: new Map() };
}

const debianBase = (): LayerScan[] => [
  layer(
    'bin -> usr/bin',
    'lib -> usr/lib',
    'etc/',
    'etc/motd',
    'etc/ssl/',
    'etc/ssl/openssl.cnf',
    'etc/nginx/',
    'etc/nginx/nginx.conf',
    'etc/localtime -> /usr/share/zoneinfo/UTC',
    'opt/',
    'opt/data/',
    'srv',
    'usr/',
    'usr/bin/',
    'usr/bin/sh',
    'usr/lib/',
    'usr/lib/libc.so.6',
    'usr/lib64 -> lib',
    'usr/local/',
    'usr/local/bin/',
    'usr/share/doc/base-files/copyright',
    'var/',
    'var/lib/',
    'var/lib/dpkg/',
    'var/lib/dpkg/status',
    'var/lib/dpkg/info/',
    'var/cache/apt/',
    'var/cache/apt/pkgcache.bin',
  ),
];

/** What a user sees of a finding, without the diff_id. */
const shown = (findings: readonly SeamFinding[]) =>
  findings.map(({ layer: n, path, kind, message }) => ({ layer: n, path, kind, message }));

describe('checkSeam', () => {
  it('accepts a COPY-only app layer adding files and folders into base folders', () => {
    const result = checkSeam({
      baseLayers: debianBase(),
      appLayers: [
        layer('usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/app'),
        layer('app/', 'app/main.js', 'app/lib/', 'app/lib/util.js', 'etc/', 'etc/app.conf', 'etc/ssl/', 'etc/ssl/app.pem'),
      ],
      appLayerOffset: 1,
    });
    assert.deepEqual(result, { safe: true, findings: [], notes: [] });
  });

  const cases: Array<{ name: string; app: string[][]; findings: Array<Omit<SeamFinding, 'diffId'>> }> = [
    {
      name: 'a dpkg status write (a package install)',
      app: [['var/', 'var/lib/', 'var/lib/dpkg/', 'var/lib/dpkg/status', 'var/lib/dpkg/info/', 'usr/bin/curl']],
      findings: [
        { layer: 2, path: '/var/lib/dpkg/status', kind: 'package-db', message: 'layer 2 writes /var/lib/dpkg/status (a package install): rebuild instead' },
      ],
    },
    {
      name: 'a new file under var/lib/dpkg/info',
      app: [['var/lib/dpkg/info/curl.list']],
      findings: [
        { layer: 2, path: '/var/lib/dpkg/info/curl.list', kind: 'package-db', message: 'layer 2 writes /var/lib/dpkg/info/curl.list (a package install): rebuild instead' },
      ],
    },
    {
      name: 'a dpkg info file deleted (a package removal)',
      app: [['var/lib/dpkg/info/.wh.curl.list']],
      findings: [
        { layer: 2, path: '/var/lib/dpkg/info/curl.list', kind: 'package-db', message: 'layer 2 deletes /var/lib/dpkg/info/curl.list (a package removal): rebuild instead' },
      ],
    },
    {
      name: 'a distroless status.d file',
      app: [['var/lib/dpkg/status.d/tzdata']],
      findings: [
        { layer: 2, path: '/var/lib/dpkg/status.d/tzdata', kind: 'package-db', message: 'layer 2 writes /var/lib/dpkg/status.d/tzdata (a package install): rebuild instead' },
      ],
    },
    {
      name: 'the apk database',
      app: [['lib/apk/db/installed']],
      findings: [
        // lib -> usr/lib in this base: the database is still named by its usual path.
        { layer: 2, path: '/lib/apk/db/installed', kind: 'package-db', message: 'layer 2 writes /lib/apk/db/installed (a package install): rebuild instead' },
      ],
    },
    {
      name: 'rpm databases in both places',
      app: [['var/lib/rpm/rpmdb.sqlite'], ['usr/lib/sysimage/rpm/rpmdb.sqlite']],
      findings: [
        { layer: 2, path: '/var/lib/rpm/rpmdb.sqlite', kind: 'package-db', message: 'layer 2 writes /var/lib/rpm/rpmdb.sqlite (a package install): rebuild instead' },
        { layer: 3, path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', kind: 'package-db', message: 'layer 3 writes /usr/lib/sysimage/rpm/rpmdb.sqlite (a package install): rebuild instead' },
      ],
    },
    {
      name: 'a whiteout of a base file',
      app: [['app/x'], [], ['etc/.wh.motd']],
      findings: [{ layer: 4, path: '/etc/motd', kind: 'whiteout', message: 'layer 4 deletes /etc/motd, a file of the base: rebuild instead' }],
    },
    {
      name: 'a whiteout of a base folder',
      app: [['var/cache/.wh.apt']],
      findings: [{ layer: 2, path: '/var/cache/apt', kind: 'whiteout', message: 'layer 2 deletes /var/cache/apt, a folder of the base: rebuild instead' }],
    },
    {
      name: 'a whiteout of a file an earlier app layer added (fine)',
      app: [['app/', 'app/build.tmp'], ['app/.wh.build.tmp']],
      findings: [],
    },
    {
      name: 'an opaque base folder, and the file it puts back',
      app: [['etc/nginx/', 'etc/nginx/.wh..wh..opq', 'etc/nginx/nginx.conf']],
      findings: [
        { layer: 2, path: '/etc/nginx', kind: 'opaque', message: 'layer 2 hides the contents of /etc/nginx, a folder of the base: rebuild instead' },
        { layer: 2, path: '/etc/nginx/nginx.conf', kind: 'overwrite', message: 'layer 2 overwrites /etc/nginx/nginx.conf from the base: rebuild instead' },
      ],
    },
    {
      name: 'an opaque folder the app made itself (fine)',
      app: [['app/', 'app/old.js'], ['app/', 'app/.wh..wh..opq', 'app/new.js']],
      findings: [],
    },
    {
      name: 'an overwritten base file',
      app: [['etc/ssl/openssl.cnf']],
      findings: [
        { layer: 2, path: '/etc/ssl/openssl.cnf', kind: 'overwrite', message: 'layer 2 overwrites /etc/ssl/openssl.cnf from the base: rebuild instead' },
      ],
    },
    {
      name: 'an overwritten base symlink',
      app: [['etc/localtime -> /usr/share/zoneinfo/Europe/Paris']],
      findings: [{ layer: 2, path: '/etc/localtime', kind: 'overwrite', message: 'layer 2 overwrites /etc/localtime from the base: rebuild instead' }],
    },
    {
      name: 'a base folder replaced by a file',
      app: [['opt/data']],
      findings: [
        { layer: 2, path: '/opt/data', kind: 'type-change', message: 'layer 2 replaces /opt/data, a folder of the base, with a file: rebuild instead' },
      ],
    },
    {
      name: 'a base file replaced by a folder',
      app: [['srv/', 'srv/www/']],
      findings: [{ layer: 2, path: '/srv', kind: 'type-change', message: 'layer 2 replaces /srv, a file of the base, with a folder: rebuild instead' }],
    },
    {
      name: 'a base folder that only exists because of a file below it, replaced by a symlink',
      app: [['usr/share/doc -> /opt/doc']],
      findings: [
        { layer: 2, path: '/usr/share/doc', kind: 'type-change', message: 'layer 2 replaces /usr/share/doc, a folder of the base, with a symlink: rebuild instead' },
      ],
    },
    {
      name: 'usrmerge: bin/sh lands on the base usr/bin/sh',
      app: [['bin/sh'], ['bin/newtool']],
      findings: [
        { layer: 2, path: '/usr/bin/sh', kind: 'overwrite', message: 'layer 2 overwrites /usr/bin/sh (written as /bin/sh) from the base: rebuild instead' },
      ],
    },
    {
      name: 'usrmerge: a whiteout through a symlinked folder',
      app: [['bin/.wh.sh']],
      findings: [
        { layer: 2, path: '/usr/bin/sh', kind: 'whiteout', message: 'layer 2 deletes /usr/bin/sh (written as /bin/sh), a file of the base: rebuild instead' },
      ],
    },
    {
      name: 'usrmerge: a relative symlink with ".." (usr/lib64 -> lib)',
      app: [['usr/lib64/libc.so.6', 'usr/lib64/libapp.so']],
      findings: [
        { layer: 2, path: '/usr/lib/libc.so.6', kind: 'overwrite', message: 'layer 2 overwrites /usr/lib/libc.so.6 (written as /usr/lib64/libc.so.6) from the base: rebuild instead' },
      ],
    },
    {
      name: 'a symlinked base folder replaced by a real folder',
      app: [['bin/', 'bin/tool']],
      findings: [{ layer: 2, path: '/bin', kind: 'type-change', message: 'layer 2 replaces /bin, a symlink of the base, with a folder: rebuild instead' }],
    },
    {
      name: 'a symlink made by an earlier app layer steers a later write onto a base file',
      app: [['data -> /etc'], ['data/motd', 'data/new.conf']],
      findings: [
        { layer: 3, path: '/etc/motd', kind: 'overwrite', message: 'layer 3 overwrites /etc/motd (written as /data/motd) from the base: rebuild instead' },
      ],
    },
    {
      name: 'a hard link to a base file',
      app: [['app/', 'app/sh => usr/bin/sh', 'app/a', 'app/b => app/a']],
      findings: [{ layer: 2, path: '/app/sh', kind: 'hardlink', message: 'layer 2 hard-links /app/sh to /usr/bin/sh of the base: rebuild instead' }],
    },
  ];

  for (const { name, app, findings } of cases) {
    it(`${findings.length === 0 ? 'accepts' : 'refuses'} ${name}`, () => {
      const appLayers = app.map((specs) => layer(...specs));
      const result = checkSeam({ baseLayers: debianBase(), appLayers, appLayerOffset: 1 });
      assert.deepEqual(shown(result.findings), findings);
      assert.equal(result.safe, findings.length === 0);
      for (const finding of result.findings) assert.equal(finding.diffId, appLayers[finding.layer - 2]?.diffId);
    });
  }

  it('forgets base files a later base layer deleted, so the app may re-create them', () => {
    const baseLayers = [
      layer('etc/', 'etc/motd', 'etc/issue', 'etc/cron.d/', 'etc/cron.d/daily', 'tmp/', 'tmp/seed'),
      layer('etc/.wh.motd', 'etc/cron.d/', 'etc/cron.d/.wh..wh..opq', 'etc/cron.d/hourly', 'tmp/.wh..wh..opq'),
      layer('etc/.wh.issue'),
      layer('etc/issue'),
    ];
    const result = checkSeam({
      baseLayers,
      appLayers: [layer('etc/motd', 'etc/cron.d/daily', 'tmp/seed', 'etc/issue', 'etc/cron.d/hourly')],
      appLayerOffset: 4,
    });
    assert.deepEqual(shown(result.findings), [
      { layer: 5, path: '/etc/cron.d/hourly', kind: 'overwrite', message: 'layer 5 overwrites /etc/cron.d/hourly from the base: rebuild instead' },
      { layer: 5, path: '/etc/issue', kind: 'overwrite', message: 'layer 5 overwrites /etc/issue from the base: rebuild instead' },
    ]);
  });

  it('follows symlinked folders while merging the base too', () => {
    const result = checkSeam({
      baseLayers: [layer('bin -> usr/bin', 'usr/', 'usr/bin/'), layer('bin/busybox')],
      appLayers: [layer('usr/bin/busybox')],
      appLayerOffset: 2,
    });
    assert.deepEqual(shown(result.findings), [
      { layer: 3, path: '/usr/bin/busybox', kind: 'overwrite', message: 'layer 3 overwrites /usr/bin/busybox from the base: rebuild instead' },
    ]);
  });

  it('reports every finding, by layer then path, counting layers over the whole image', () => {
    const result = checkSeam({
      baseLayers: debianBase(),
      appLayers: [layer('etc/ssl/openssl.cnf', 'etc/motd'), layer('app/x'), layer('var/lib/dpkg/status', 'etc/.wh.motd')],
      appLayerOffset: 5,
    });
    assert.deepEqual(
      result.findings.map((f) => `${f.layer} ${f.kind} ${f.path}`),
      ['6 overwrite /etc/motd', '6 overwrite /etc/ssl/openssl.cnf', '8 whiteout /etc/motd', '8 package-db /var/lib/dpkg/status'],
    );
  });

  it('caps the list with one "… and N more" finding', () => {
    const files = Array.from({ length: 25 }, (_, i) => `etc/f${String(i).padStart(2, '0')}`);
    const base = [layer('etc/', ...files)];
    const app = layer(...files);
    const result = checkSeam({ baseLayers: base, appLayers: [app], appLayerOffset: 1, maxFindings: 3 });
    assert.equal(result.safe, false);
    assert.deepEqual(
      result.findings.map((f) => [f.path, f.kind, f.message]),
      [
        ['/etc/f00', 'overwrite', 'layer 2 overwrites /etc/f00 from the base: rebuild instead'],
        ['/etc/f01', 'overwrite', 'layer 2 overwrites /etc/f01 from the base: rebuild instead'],
        ['/etc/f02', 'overwrite', 'layer 2 overwrites /etc/f02 from the base: rebuild instead'],
        ['', 'more', '… and 22 more'],
      ],
    );
    assert.equal(result.findings[3]?.diffId, app.diffId);
    assert.equal(checkSeam({ baseLayers: base, appLayers: [app], appLayerOffset: 1 }).findings.length, 21);
  });

  it('notes new files in library folders, through usrmerge symlinks', () => {
    const result = checkSeam({
      baseLayers: debianBase(),
      appLayers: [layer('lib/libapp.so.1', 'usr/lib/x86_64-linux-gnu/libfoo.so.2', 'usr/local/lib/libbar.so', 'lib64/ld.so')],
      appLayerOffset: 1,
    });
    assert.deepEqual(result, {
      safe: true,
      findings: [],
      notes: [
        'the app layers add 1 file under /lib64 that may link against base libraries',
        'the app layers add 2 files under /usr/lib that may link against base libraries',
      ],
    });
  });

  it('does not hang on a symlink loop in the base', () => {
    const result = checkSeam({ baseLayers: [layer('a -> b', 'b -> a')], appLayers: [layer('a/x')], appLayerOffset: 1 });
    assert.equal(result.safe, true);
  });

  it('accepts an image with no app layers', () => {
    assert.deepEqual(checkSeam({ baseLayers: debianBase(), appLayers: [], appLayerOffset: 1 }), {
      safe: true,
      findings: [],
      notes: [],
    });
  });

  it('rejects a bad layer offset', () => {
    assert.throws(() => checkSeam({ baseLayers: [], appLayers: [], appLayerOffset: -1 }), RangeError);
    assert.throws(() => checkSeam({ baseLayers: [], appLayers: [], appLayerOffset: 0, maxFindings: 0 }), RangeError);
  });
});
