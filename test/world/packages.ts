// Makes sure the Debian packages the world is made of are installed.
import { openSync, readSync, closeSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, run } from './process.js';

export const STATIC_BUSYBOX = '/bin/busybox';

export interface PackageNeeds {
  /** No engine answers, so dockerd must be there to start one. */
  dockerd: boolean;
  /** The second engine (Podman's Docker-compatible API) is part of this world. */
  podman: boolean;
  /** A desktop for the notification test: session bus, notification server, X server, notify-send. */
  desktop?: boolean;
  /** The modern engine's root is to be provisioned: debootstrap (with sid's script, for forky). */
  debootstrap?: boolean;
}

export interface PackageOptions {
  /** Where the apt-get output goes. */
  dir: string;
  log: (line: string) => void;
}

/**
 * Installs what is missing of docker.io (docker CLI, dockerd), docker-registry, podman,
 * busybox-static, (for the notification test) dbus, dunst, xvfb and libnotify-bin, and (for the
 * modern engine's root) debootstrap. Only as
 * root on Linux with apt-get; otherwise throws naming what is missing.
 */
export async function ensurePackages(needs: PackageNeeds, options: PackageOptions): Promise<void> {
  const missing = missingPackages(needs);
  if (missing.length === 0) return;
  const what = missing.map((m) => `${m.pkg} (${m.reason})`).join(', ');
  const aptGet = findExecutable('apt-get');
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !aptGet) {
    throw new Error(`missing ${what}; installing needs root on Debian/Ubuntu (apt-get)`);
  }
  const packages = [...new Set(missing.map((m) => m.pkg))];
  const logFile = join(options.dir, 'apt.log');
  options.log(`packages: installing ${packages.join(' ')} (apt-get, log ${logFile})`);
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let transcript = '';
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const result = await run(aptGet, args, { env, timeoutMs: 900_000 });
    transcript += `$ apt-get ${args.join(' ')}\n${result.stdout}${result.stderr}\n`;
    await writeFile(logFile, transcript);
    if (result.code !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr.trim().slice(-2000)}`);
    }
  }
  const still = missingPackages(needs);
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.map((m) => m.pkg).join(', ')}`);
  options.log(`packages: installed in ${seconds(started)}`);
}

function missingPackages(needs: PackageNeeds): Array<{ pkg: string; reason: string }> {
  const missing: Array<{ pkg: string; reason: string }> = [];
  if (!findExecutable('docker')) missing.push({ pkg: 'docker.io', reason: 'no docker CLI' });
  if (needs.dockerd && !findExecutable('dockerd')) missing.push({ pkg: 'docker.io', reason: 'no dockerd' });
  if (!findExecutable('docker-registry')) missing.push({ pkg: 'docker-registry', reason: 'no docker-registry' });
  if (needs.podman && !findExecutable('podman')) missing.push({ pkg: 'podman', reason: 'no podman' });
  if (!isStaticElf(STATIC_BUSYBOX)) missing.push({ pkg: 'busybox-static', reason: `no static ${STATIC_BUSYBOX}` });
  if (needs.desktop) {
    if (!findExecutable('dbus-run-session')) missing.push({ pkg: 'dbus', reason: 'no dbus-run-session' });
    if (!findExecutable('dunst') || !findExecutable('dunstctl')) missing.push({ pkg: 'dunst', reason: 'no dunst' });
    if (!findExecutable('Xvfb')) missing.push({ pkg: 'xvfb', reason: 'no Xvfb' });
    if (!findExecutable('notify-send')) missing.push({ pkg: 'libnotify-bin', reason: 'no notify-send' });
  }
  if (needs.debootstrap && (!findExecutable('debootstrap') || !existsSync('/usr/share/debootstrap/scripts/sid'))) {
    missing.push({ pkg: 'debootstrap', reason: 'no debootstrap' });
  }
  return missing;
}

/**
 * True for an ELF executable without a PT_INTERP program header, i.e. one that runs in an
 * empty rootfs. (A dynamic busybox from the `busybox` package would not.)
 */
export function isStaticElf(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false; // "\x7fELF"
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (b: Buffer, o: number) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(header, 28);
    const phentsize = u16(header, is64 ? 54 : 42);
    const phnum = u16(header, is64 ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

export function seconds(startedMs: number): string {
  return `${((Date.now() - startedMs) / 1000).toFixed(1)}s`;
}
