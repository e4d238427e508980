import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCompose, type ComposeAnalysis, type ComposeBuild } from './analyze-compose.js';

const FILE = '/srv/shop/compose.yaml';

function build(overrides: Partial<ComposeBuild> = {}): ComposeBuild {
  return {
    context: '/srv/shop',
    remote: false,
    dockerfile: '/srv/shop/Dockerfile',
    dockerfileInline: null,
    args: {},
    target: null,
    ...overrides,
  };
}

interface Case {
  name: string;
  yaml: string;
  env?: Record<string, string | undefined>;
  file?: string;
  expected: ComposeAnalysis;
}

const cases: Case[] = [
  {
    name: 'string build is the context; build-only service gets <project>-<service>:latest',
    yaml: 'services:\n  web:\n    build: ./web\n  db:\n    image: postgres:16\n',
    expected: {
      project: 'shop',
      services: [
        {
          name: 'web',
          image: null,
          imageRef: 'docker.io/library/shop-web:latest',
          build: build({ context: '/srv/shop/web', dockerfile: '/srv/shop/web/Dockerfile' }),
          line: 2,
        },
        { name: 'db', image: 'postgres:16', imageRef: 'docker.io/library/postgres:16', build: null, line: 4 },
      ],
      errors: [],
    },
  },
  {
    name: 'object build: dockerfile relative to context, args map, target, image wins over default name',
    yaml: [
      'services:',
      '  api:',
      '    image: ghcr.io/acme/api:2',
      '    build:',
      '      context: ../api',
      '      dockerfile: docker/Prod.Dockerfile',
      '      target: runtime',
      '      args:',
      '        PY: "3.12"',
      '        WORKERS: 4',
      '        DEBUG: false',
      '        FROM_ENV:',
      '        NOT_SET:',
      '',
    ].join('\n'),
    env: { FROM_ENV: 'yes' },
    expected: {
      project: 'shop',
      services: [
        {
          name: 'api',
          image: 'ghcr.io/acme/api:2',
          imageRef: 'ghcr.io/acme/api:2',
          build: build({
            context: '/srv/api',
            dockerfile: '/srv/api/docker/Prod.Dockerfile',
            target: 'runtime',
            args: { PY: '3.12', WORKERS: '4', DEBUG: 'false', FROM_ENV: 'yes' },
          }),
          line: 2,
        },
      ],
      errors: [],
    },
  },
  {
    name: 'args list form: KEY=VAL, KEY= is empty, bare KEY from env or left out',
    yaml: 'services:\n  w:\n    build:\n      args:\n        - A=1=2\n        - EMPTY=\n        - HOME_ARG\n        - MISSING\n',
    env: { HOME_ARG: '/root' },
    expected: {
      project: 'shop',
      services: [
        {
          name: 'w',
          image: null,
          imageRef: 'docker.io/library/shop-w:latest',
          build: build({ args: { A: '1=2', EMPTY: '', HOME_ARG: '/root' } }),
          line: 2,
        },
      ],
      errors: [],
    },
  },
  {
    name: 'absolute dockerfile, dockerfile_inline and a remote git context',
    yaml: [
      'services:',
      '  a:',
      '    build: {context: ., dockerfile: /opt/df/Dockerfile}',
      '  b:',
      '    build:',
      '      dockerfile_inline: "FROM alpine:3.20"',
      '  c:',
      '    build:',
      '      context: https://github.com/acme/c.git#main',
      '      dockerfile: build/Dockerfile',
      '',
    ].join('\n'),
    expected: {
      project: 'shop',
      services: [
        { name: 'a', image: null, imageRef: 'docker.io/library/shop-a:latest', build: build({ dockerfile: '/opt/df/Dockerfile' }), line: 2 },
        {
          name: 'b',
          image: null,
          imageRef: 'docker.io/library/shop-b:latest',
          build: build({ dockerfile: null, dockerfileInline: 'FROM alpine:3.20' }),
          line: 4,
        },
        {
          name: 'c',
          image: null,
          imageRef: 'docker.io/library/shop-c:latest',
          build: build({ context: 'https://github.com/acme/c.git#main', remote: true, dockerfile: 'build/Dockerfile' }),
          line: 7,
        },
      ],
      errors: [],
    },
  },
  {
    name: 'interpolation: $VAR, ${VAR}, :- and - defaults, :+ and + alternatives, $$',
    yaml: [
      'services:',
      '  web:',
      '    image: ${REGISTRY:-docker.io}/$ORG/web:${TAG-latest}',
      '    build:',
      '      context: ${CTX}',
      '      args:',
      '        SOFT: ${EMPTY:-soft}',
      '        HARD: ${EMPTY-hard}',
      '        ALT: ${ORG:+has-org}',
      '        ALT_EMPTY: ${EMPTY:+x}',
      '        PLUS_EMPTY: ${EMPTY+set}',
      '        NESTED: ${NOPE:-${ORG}-x}',
      '        DOLLAR: $$HOME and $${ORG}',
      '        UNSET: ${NOPE}',
      '        LITERAL: cost $5',
      '',
    ].join('\n'),
    env: { ORG: 'acme', EMPTY: '', CTX: 'src', TAG: '' },
    expected: {
      project: 'shop',
      services: [
        {
          name: 'web',
          image: 'docker.io/acme/web:',
          imageRef: null,
          build: build({
            context: '/srv/shop/src',
            dockerfile: '/srv/shop/src/Dockerfile',
            args: {
              SOFT: 'soft',
              HARD: '',
              ALT: 'has-org',
              ALT_EMPTY: '',
              PLUS_EMPTY: 'set',
              NESTED: 'acme-x',
              DOLLAR: '$HOME and ${ORG}',
              UNSET: '',
              LITERAL: 'cost $5',
            },
          }),
          line: 2,
        },
      ],
      errors: [{ line: 3, message: 'service "web": image "docker.io/acme/web:" is not a valid image reference' }],
    },
  },
  {
    name: 'interpolation fills image when set; COMPOSE_PROJECT_NAME is exposed to the file',
    yaml: 'services:\n  web:\n    image: ${COMPOSE_PROJECT_NAME}/web:${TAG:-1.0}\n',
    env: { TAG: '2.1' },
    expected: {
      project: 'shop',
      services: [{ name: 'web', image: 'shop/web:2.1', imageRef: 'docker.io/shop/web:2.1', build: null, line: 2 }],
      errors: [],
    },
  },
  {
    name: 'required variable (:? and ?) is an error naming VAR and its line; other services kept',
    yaml: [
      'services:',
      '  web:',
      '    image: app:${TAG:?set TAG to the release}',
      '  worker:',
      '    build:',
      '      args:',
      '        KEY: ${SECRET?}',
      '        OK: ${EMPTY?}',
      '',
    ].join('\n'),
    env: { EMPTY: '' },
    expected: {
      project: 'shop',
      services: [
        { name: 'web', image: 'app:${TAG:?set TAG to the release}', imageRef: null, build: null, line: 2 },
        {
          name: 'worker',
          image: null,
          imageRef: 'docker.io/library/shop-worker:latest',
          build: build({ args: { KEY: '${SECRET?}', OK: '' } }),
          line: 4,
        },
      ],
      errors: [
        { line: 3, message: 'services.web.image: required variable TAG is missing a value: set TAG to the release' },
        { line: 7, message: 'services.worker.build.args.KEY: required variable SECRET is missing a value' },
      ],
    },
  },
  {
    name: 'anchors, aliases and merge keys from an x- extension',
    yaml: [
      'x-build: &build',
      '  build:',
      '    context: ./app',
      '    args: &args',
      '      BASE: python:${PY:-3.12}',
      'x-ignored: {anything: [1, 2]}',
      'services:',
      '  web:',
      '    <<: *build',
      '    image: acme/web',
      '  worker:',
      '    <<: *build',
      '  cron:',
      '    build:',
      '      context: ./cron',
      '      args: *args',
      '',
    ].join('\n'),
    expected: {
      project: 'shop',
      services: [
        {
          name: 'web',
          image: 'acme/web',
          imageRef: 'docker.io/acme/web:latest',
          build: build({ context: '/srv/shop/app', dockerfile: '/srv/shop/app/Dockerfile', args: { BASE: 'python:3.12' } }),
          line: 8,
        },
        {
          name: 'worker',
          image: null,
          imageRef: 'docker.io/library/shop-worker:latest',
          build: build({ context: '/srv/shop/app', dockerfile: '/srv/shop/app/Dockerfile', args: { BASE: 'python:3.12' } }),
          line: 11,
        },
        {
          name: 'cron',
          image: null,
          imageRef: 'docker.io/library/shop-cron:latest',
          build: build({ context: '/srv/shop/cron', dockerfile: '/srv/shop/cron/Dockerfile', args: { BASE: 'python:3.12' } }),
          line: 13,
        },
      ],
      errors: [],
    },
  },
  {
    name: 'YAML syntax error: one error with its line and the parser message',
    yaml: 'services:\n  web:\n    image: "unterminated\n',
    expected: {
      project: 'shop',
      services: [],
      errors: [{ line: 3, message: 'Missing closing "quote' }],
    },
  },
  {
    name: 'wrong-typed build and image name the service and key; other services still returned',
    yaml: [
      'services:',
      '  bad-build:',
      '    build: 42',
      '  bad-image:',
      '    image: [nginx]',
      '  bad-args:',
      '    build:',
      '      context: .',
      '      args: oops',
      '  good:',
      '    image: nginx:1.27',
      '  empty:',
      '',
    ].join('\n'),
    expected: {
      project: 'shop',
      services: [{ name: 'good', image: 'nginx:1.27', imageRef: 'docker.io/library/nginx:1.27', build: null, line: 10 }],
      errors: [
        { line: 3, message: 'service "bad-build": build must be a string or a mapping' },
        { line: 5, message: 'service "bad-image": image must be a string' },
        { line: 9, message: 'service "bad-args": build.args must be a mapping of scalars or a list of KEY=VALUE strings' },
        { line: 12, message: 'service "empty" must be a mapping' },
      ],
    },
  },
  {
    name: 'services missing: empty list, no error',
    yaml: 'name: Shop\nvolumes:\n  data: {}\n',
    expected: { project: 'shop', services: [], errors: [] },
  },
  {
    name: 'services empty, empty file: empty list, no error',
    yaml: 'services:\n',
    expected: { project: 'shop', services: [], errors: [] },
  },
  {
    name: 'services of the wrong type and a non-mapping file are errors',
    yaml: 'services:\n  - web\n',
    expected: {
      project: 'shop',
      services: [],
      errors: [{ line: 1, message: 'services must be a mapping of service names to services' }],
    },
  },
  {
    name: 'project name: top-level name (interpolated) is normalised',
    yaml: 'name: "_My.Shop ${STAGE}"\nservices:\n  web:\n    build: .\n',
    env: { STAGE: 'Prod' },
    expected: {
      project: 'myshopprod',
      services: [{ name: 'web', image: null, imageRef: 'docker.io/library/myshopprod-web:latest', build: build(), line: 3 }],
      errors: [],
    },
  },
  {
    name: 'project name: COMPOSE_PROJECT_NAME wins over name: (Compose precedence)',
    yaml: 'name: fromfile\nservices:\n  web:\n    build: .\n',
    env: { COMPOSE_PROJECT_NAME: 'fromenv' },
    expected: {
      project: 'fromenv',
      services: [{ name: 'web', image: null, imageRef: 'docker.io/library/fromenv-web:latest', build: build(), line: 3 }],
      errors: [],
    },
  },
  {
    name: 'project name: invalid COMPOSE_PROJECT_NAME is reported, normalised value used',
    yaml: 'services: {}\n',
    env: { COMPOSE_PROJECT_NAME: 'My App' },
    expected: {
      project: 'myapp',
      services: [],
      errors: [
        {
          line: null,
          message:
            'invalid project name "My App" in COMPOSE_PROJECT_NAME: must consist only of lowercase alphanumeric ' +
            'characters, hyphens, and underscores as well as start with a letter or number',
        },
      ],
    },
  },
  {
    name: 'project name: directory basename normalised (lowercase, [a-z0-9_-], no leading _ or -)',
    yaml: 'services:\n  Web:\n    build: .\n',
    file: '/home/me/__My Project.v2/docker-compose.yml',
    expected: {
      project: 'myprojectv2',
      services: [
        {
          name: 'Web',
          image: null,
          imageRef: null,
          build: build({ context: '/home/me/__My Project.v2', dockerfile: '/home/me/__My Project.v2/Dockerfile' }),
          line: 2,
        },
      ],
      errors: [{ line: 2, message: 'service "Web": default image name "myprojectv2-Web" is not a valid image reference' }],
    },
  },
  {
    name: 'a service with neither image nor build is an error but still returned',
    yaml: 'services:\n  lonely:\n    command: ["true"]\n',
    expected: {
      project: 'shop',
      services: [{ name: 'lonely', image: null, imageRef: null, build: null, line: 2 }],
      errors: [{ line: 2, message: 'service "lonely" has neither an image nor a build context specified' }],
    },
  },
  {
    name: 'malformed ${...} is an error; ~ in context expands from HOME',
    yaml: 'services:\n  w:\n    build: ~/src/w\n    image: "w:${1bad}"\n',
    env: { HOME: '/home/me' },
    expected: {
      project: 'shop',
      services: [
        {
          name: 'w',
          image: 'w:${1bad}',
          imageRef: null,
          build: build({ context: '/home/me/src/w', dockerfile: '/home/me/src/w/Dockerfile' }),
          line: 2,
        },
      ],
      errors: [{ line: 4, message: 'services.w.image: invalid interpolation format in "w:${1bad}"' }],
    },
  },
];

describe('analyzeCompose', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(analyzeCompose(c.yaml, c.file ?? FILE, c.env ?? {}), c.expected);
    });
  }

  it('does not treat inherited object properties as set variables', () => {
    const result = analyzeCompose('services:\n  w:\n    image: "a${constructor:-b}"\n', FILE, {});
    assert.equal(result.services[0]?.image, 'ab');
  });
});
