import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { readProgressStream, splitJsonValues } from './engine-stream.js';

it('splits JSON values however the chunks fall, braces in strings included', () => {
  assert.deepEqual(splitJsonValues('{"a":"}{"}{"b":{"c":1}}\r\n{"d'), { values: ['{"a":"}{"}', '{"b":{"c":1}}'], rest: '{"d' });
});

it('finds the error a 200 response carries, across chunk boundaries', async () => {
  const chunks = ['{"status":"Loading layer"}\n{"errorDe', 'tail":{"message":"open /var/lib/docker/x: no such file"},"error":"open …"}\n'];
  const outcome = await readProgressStream(Readable.from(chunks));
  assert.equal(outcome.error, 'open /var/lib/docker/x: no such file');
  assert.equal(outcome.messages.length, 2);
  assert.equal((await readProgressStream(Readable.from(['{"stream":"Loaded image: a:1\\n"}']))).error, null);
});
