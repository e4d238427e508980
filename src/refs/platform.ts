/**
 * The platform vocabulary: an os/architecture/variant triple, normalised the way containerd
 * does (aliases resolved, default arm variants filled in) and formatted as `linux/arm64/v8`.
 */
export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | null;
}

export interface NormalizedPlatform {
  os: string;
  architecture: string;
  variant: string;
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

/** Lower-cased, aliases resolved, default variants filled in (arm64 -> v8, arm -> v7). */
export function normalizePlatform(platform: PlatformSpec): NormalizedPlatform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias.architecture;
    if (variant === '' && alias.variant) variant = alias.variant;
  }
  if (/^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm64' && variant === '') variant = 'v8';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  // amd64 v1 is the baseline every amd64 CPU runs; images label it with no variant.
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  return { os, architecture, variant };
}

/** Formats `linux/arm64/v8`, `linux/amd64`. */
export function formatPlatform(platform: PlatformSpec): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part != null && part !== '').join('/');
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

/**
 * The platform a local Docker engine builds and pulls for by default: linux on this machine's
 * CPU, in Docker's names. For when no engine tells us its own.
 */
export function hostPlatform(arch: string = process.arch): PlatformSpec {
  const mapped = NODE_TO_DOCKER_ARCH[arch];
  return { os: 'linux', architecture: mapped?.architecture ?? arch, variant: mapped?.variant ?? null };
}
