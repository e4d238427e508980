import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDockerfile } from './dockerfile/analyze-dockerfile.js';
import { copySourcesOf } from './read-projects.js';

const sources = (text: string, target: string | null = null): string[] => copySourcesOf(analyzeDockerfile(text, { target }));

describe('copySourcesOf', () => {
  it('images copied or mounted from in the built stage and the stages it is built FROM', () => {
    assert.deepEqual(sources('FROM base:1 AS b\nCOPY --from=tool:1 / /\nFROM b\nRUN --mount=type=bind,from=other:2,target=/o cat /o/x\n'), [
      'docker.io/library/tool:1',
      'docker.io/library/other:2',
    ]);
  });

  it('through stages: a copied-from stage brings its FROM image and its own copy sources', () => {
    assert.deepEqual(sources('FROM tool:1 AS tools\nRUN make\nFROM base:1\nCOPY --from=tools /srv/tool /tool\n'), ['docker.io/library/tool:1']);
    assert.deepEqual(sources('FROM x:1 AS a\nFROM a AS b\nCOPY --from=y:1 / /\nFROM base:1\nRUN --mount=from=b,target=/b true\n'), ['docker.io/library/x:1', 'docker.io/library/y:1']);
  });

  it('negative: a stage nothing copies from, and a copy from the built chain itself, are no copy sources', () => {
    assert.deepEqual(sources('FROM tool:1 AS unused\nFROM base:1\nRUN true\n'), []);
    assert.deepEqual(sources('FROM base:1 AS b\nFROM b\nCOPY --from=0 / /\n'), []);
    assert.deepEqual(sources('FROM tool:1 AS tools\nFROM base:1 AS app\nCOPY --from=tools / /\nFROM app AS other\n', 'app'), ['docker.io/library/tool:1']);
  });
});
