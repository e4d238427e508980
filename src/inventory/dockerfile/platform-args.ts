/**
 * BuildKit's automatic platform build args (TARGETPLATFORM, BUILDARCH, …), which every
 * `FROM` line may use without declaring them.
 */

import { type PlatformSpec, formatPlatform } from '../../refs/platform.js';

/** The eight automatic args; variants are empty strings when the platform has none, as in BuildKit. */
export function platformArgs(target: PlatformSpec, build: PlatformSpec): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
  ]);
}
