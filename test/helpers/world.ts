// What integration tests import: the world they run against and helpers to make fixtures in it.
//
//   import { getWorld, skipWithoutWorld, makeBaseImage, … } from './world.js';
//   describe('rebase', { skip: skipWithoutWorld() }, () => { … });
export {
  type ModernStore,
  type World,
  getWorld,
  modernEngineHost,
  modernEngineSkip,
  requireWorld,
  skipWithoutWorld,
} from './current-world.js';
export {
  type BaseImageSpec,
  type BuildSpec,
  type DockerImageInspect,
  type DockerOptions,
  buildImage,
  docker,
  dockerEnv,
  inspectImage,
  makeBaseImage,
  pushImage,
  removeImages,
} from './docker.js';
export { usesContainerdStore } from './engine-store.js';
export { type BasewatchResult, type RunBasewatchOptions, type TerminalResult, repoRoot, runBasewatch, runBasewatchInTerminal } from './basewatch.js';
export { DEFAULT_DPKG, DEFAULT_OS_RELEASE, type DpkgPackage, dpkgStatus, osReleaseText } from './rootfs.js';
export { makeTempDir, uniqueName, writeProject, writeTree } from './temp.js';
export { RUN_LABEL, TEST_LABEL } from '../world/env.js';
