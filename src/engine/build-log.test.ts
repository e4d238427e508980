import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BuildLog, builtImageId } from './build-log.js';

it('assembles lines across chunks and keeps only the last ones', () => {
  const log = new BuildLog(3);
  assert.deepEqual(log.push('Step 1/3 : FROM base\n ---> abc\nStep 2/3 : RU'), ['Step 1/3 : FROM base', ' ---> abc']);
  assert.deepEqual(log.push('N make\n'), ['Step 2/3 : RUN make']);
  assert.deepEqual(log.push('50%\r75%\r100%\r\n'), ['100%'], 'a redrawn progress line shows as its last drawing');
  assert.deepEqual(log.push('no newline yet'), []);
  assert.deepEqual(log.pushLine("The command '/bin/sh -c make' returned a non-zero code: 2"), [
    'no newline yet',
    "The command '/bin/sh -c make' returned a non-zero code: 2",
  ]);
  assert.deepEqual(log.tail(), ['100%', 'no newline yet', "The command '/bin/sh -c make' returned a non-zero code: 2"]);
  assert.deepEqual(log.end(), []);
});

it('finds the built image from aux.ID, else from "Successfully built"', () => {
  assert.equal(builtImageId({ ID: 'sha256:abc' }, null), 'sha256:abc');
  assert.equal(builtImageId(undefined, 'Successfully built 0123456789ab'), '0123456789ab');
  assert.equal(builtImageId(undefined, 'Successfully tagged app:1'), null);
});
