import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ImageReport } from '../report/check-report.js';
import { builtFrom } from './quick-recheck.js';

const image = (source: Partial<NonNullable<ImageReport['source']>> | null, suggested?: string): ImageReport =>
  ({
    name: 'app:1',
    source: source === null ? null : { dockerfile: null, context: null, target: null, compose: null, service: null, args: {}, ...source },
    ...(suggested === undefined ? {} : { suggestedLink: { dockerfile: suggested, context: '/p', command: 'basewatch link' } }),
  }) as unknown as ImageReport;

it('an image comes from an edited file through its build, its compose service or its suggested Dockerfile', () => {
  const edited = new Set(['/p/Dockerfile', '/p/compose.yaml']);
  assert.equal(builtFrom(image({ dockerfile: '/p/Dockerfile' }), edited), true);
  assert.equal(builtFrom(image({ dockerfile: '/q/Dockerfile', compose: '/p/compose.yaml' }), edited), true);
  assert.equal(builtFrom(image(null, '/p/Dockerfile'), edited), true);
  assert.equal(builtFrom(image({ dockerfile: '/q/Dockerfile' }), edited), false);
  assert.equal(builtFrom(image(null), edited), false, 'an image of no known source keeps the verdict its last cycle gave');
});
