/**
 * BuildKit's automatic platform build args (TARGETPLATFORM, BUILDARCH, …), which every
 * `FROM` line may use without declaring them.
 */

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | null;
}

// Node's process.arch names differ from the GOARCH names Docker uses.
const NODE_TO_DOCKER_ARCH: Readonly<Record<string, { architecture: string; variant: string | null }>> = {
  x64: { architecture: 'amd64', variant: null },
  arm64: { architecture: 'arm64', variant: null },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386', variant: null },
  ppc64: { architecture: 'ppc64le', variant: null },
  s390x: { architecture: 's390x', variant: null },
  riscv64: { architecture: 'riscv64', variant: null },
  loong64: { architecture: 'loong64', variant: null },
  mips64el: { architecture: 'mips64le', variant: null },
};

/** The platform a local Docker engine builds for by default: linux on this machine's CPU. */
export function hostPlatform(arch: string = process.arch): Platform {
  const mapped = NODE_TO_DOCKER_ARCH[arch];
  return { os: 'linux', architecture: mapped?.architecture ?? arch, variant: mapped?.variant ?? null };
}

/** `linux/arm/v7`, `linux/amd64`. */
export function formatPlatform(platform: Platform): string {
  const variant = platform.variant ?? '';
  return `${platform.os}/${platform.architecture}${variant === '' ? '' : `/${variant}`}`;
}

/** The eight automatic args; variants are empty strings when the platform has none, as in BuildKit. */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
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
