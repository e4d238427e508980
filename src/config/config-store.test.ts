import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, configFilePath, loadSettings, setSetting, unsetSetting } from './config-store.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-config-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('config store', () => {
  it('gives defaults without a file and stores checked values', async (t) => {
    const dir = await tempDir(t);
    assert.deepEqual(loadSettings(dir), {
      roots: [],
      schedule: '0 */6 * * *',
      policy: 'auto',
      policies: [],
      ignore: [],
      allowedVersions: [],
      minimumAge: '1h',
      keepRollbacks: '30d',
      smokeTest: null,
      notifications: true,
      notifyWebhook: null,
      insecureRegistries: [],
      caFiles: [],
      registryTimeoutSeconds: 15,
    });
    setSetting(dir, 'insecureRegistries', 'reg.lan:5000, 10.0.0.5:5000');
    setSetting(dir, 'registryTimeoutSeconds', '30');
    assert.deepEqual(loadSettings(dir).insecureRegistries, ['reg.lan:5000', '10.0.0.5:5000']);
    assert.equal(loadSettings(dir).registryTimeoutSeconds, 30);
    unsetSetting(dir, 'registryTimeoutSeconds');
    assert.equal(loadSettings(dir).registryTimeoutSeconds, 15);
  });

  it('keeps the settings file private (it can hold a webhook token), and a folder it makes too', async (t) => {
    const dir = path.join(await tempDir(t), 'config');
    await fs.mkdir(dir, { mode: 0o755 });
    await fs.writeFile(configFilePath(dir), '{}\n', { mode: 0o644 });
    setSetting(dir, 'notifyWebhook', 'https://hooks.example/T0123/secret');
    assert.equal((await fs.stat(configFilePath(dir))).mode & 0o777, 0o600, 'rewritten private');
    const fresh = path.join(await tempDir(t), 'new', 'config');
    setSetting(fresh, 'minimumAge', '0');
    assert.equal((await fs.stat(fresh)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(configFilePath(fresh))).mode & 0o777, 0o600);
  });

  it('refuses a bad value, names key and form, and leaves the file as it was', async (t) => {
    const dir = await tempDir(t);
    setSetting(dir, 'caFiles', '/etc/ca.pem');
    const before = await fs.readFile(configFilePath(dir), 'utf8');
    assert.throws(() => setSetting(dir, 'caFiles', 'relative.pem'), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^caFiles\[0\]: expected an absolute path \(got "relative\.pem"\)$/);
      return true;
    });
    assert.throws(() => setSetting(dir, 'registryTimeoutSeconds', 'soon'), /registryTimeoutSeconds: expected a number \(got "soon"\)/);
    assert.throws(() => setSetting(dir, 'registryTimeoutSeconds', '0'), /registryTimeoutSeconds/);
    assert.equal(await fs.readFile(configFilePath(dir), 'utf8'), before);
  });

  it('checks schedules, policy rules, durations and webhook URLs', async (t) => {
    const dir = await tempDir(t);
    assert.throws(() => setSetting(dir, 'schedule', 'every day'), /schedule: expected a cron expression/);
    assert.throws(() => setSetting(dir, 'policies', '[{"policy":"rebuild"}]'), /policies\[0\]: expected a rule with image, compose or folder/);
    assert.throws(() => setSetting(dir, 'policies', '[{"image":"a*","policy":"sometimes"}]'), /policies\[0\]\.policy/);
    assert.throws(() => setSetting(dir, 'minimumAge', '2x'), /minimumAge: expected a duration/);
    assert.throws(() => setSetting(dir, 'notifyWebhook', 'ftp://x'), /notifyWebhook: expected an http\(s\) URL/);
    setSetting(dir, 'policies', '[{"image":"app:*","policy":"rebuild"},{"compose":"shop","policy":"notify"}]');
    setSetting(dir, 'smokeTest', "python -c 'import app'");
    setSetting(dir, 'minimumAge', '0');
    const settings = loadSettings(dir);
    assert.deepEqual(settings.policies, [{ image: 'app:*', policy: 'rebuild' }, { compose: 'shop', policy: 'notify' }]);
    assert.equal(settings.smokeTest, "python -c 'import app'");
    assert.equal(settings.minimumAge, '0');
    setSetting(dir, 'smokeTest', '');
    assert.equal(loadSettings(dir).smokeTest, null);
  });

  it('names the file and every problem in a hand-edited file', async (t) => {
    const dir = await tempDir(t);
    await fs.writeFile(configFilePath(dir), JSON.stringify({ caFiles: 'x', colour: true }));
    assert.throws(() => loadSettings(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.startsWith(`config file ${configFilePath(dir)}: `));
      assert.match(error.message, /caFiles: expected a list \(comma-separated, or a JSON array\) \(got "x"\)/);
      assert.match(error.message, /unknown setting "colour"/);
      return true;
    });
    await fs.writeFile(configFilePath(dir), '{');
    assert.throws(() => loadSettings(dir), /is not valid JSON/);
  });
});

describe('config errors in basewatch words', () => {
  it('names the key and the accepted values, never zod\'s phrasing', async (t) => {
    const dir = await tempDir(t);
    const said = (key: Parameters<typeof setSetting>[1], value: string): string => {
      try {
        setSetting(dir, key, value);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    assert.equal(said('notifications', 'maybe'), 'notifications: expected true or false (got "maybe")');
    assert.equal(said('registryTimeoutSeconds', '999'), 'registryTimeoutSeconds: expected a number at most 300 (got 999)');
    assert.equal(said('policy', 'rebas'), 'policy: expected one of auto, rebase, rebuild, notify, pin (got "rebas")');
    for (const message of [said('notifications', 'maybe'), said('registryTimeoutSeconds', '0'), said('policy', 'x')]) assert.doesNotMatch(message, /Invalid|Too (big|small)|received/);
  });
});
