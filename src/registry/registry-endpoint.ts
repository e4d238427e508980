/**
 * Where a registry's API lives and how to speak to it, the way Docker decides:
 *   docker.io        -> https://registry-1.docker.io
 *   loopback hosts   -> http:// (Docker treats 127.0.0.0/8 and localhost as insecure; local
 *                       registries there are practically always plain HTTP, so we go straight
 *                       to http instead of probing https first)
 *   insecureRegistries -> https without certificate checks, falling back to http when the
 *                       TLS handshake fails (Docker's meaning of "insecure")
 *   anything else    -> https with verified TLS
 */
import { isIPv4 } from 'node:net';
import { DOCKER_HUB, DOCKER_HUB_API_HOST, isDockerHubHost } from '../refs/docker-hub.js';

export type Scheme = 'https' | 'http';

export interface TransportPlan {
  readonly scheme: Scheme;
  /** False only for https to a registry the user declared insecure. */
  readonly verifyTls: boolean;
}

export interface RegistryEndpoint {
  /** The registry as users write it: `docker.io`, `ghcr.io`, `registry.corp:5000`. */
  readonly registry: string;
  /** Host (and port) the API is served from: `registry-1.docker.io`. */
  readonly apiHost: string;
  /** Transports to try, in order; the first that completes a TLS/TCP exchange wins. */
  readonly plans: readonly TransportPlan[];
}

/** Splits `host:port`, `[::1]:5000`, `::1` into host (brackets removed) and port. */
export function splitHostPort(hostPort: string): { host: string; port: string | null } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    const host = hostPort.slice(1, end < 0 ? undefined : end);
    const port = end >= 0 && hostPort[end + 1] === ':' ? hostPort.slice(end + 2) : null;
    return { host, port };
  }
  const colons = hostPort.split(':').length - 1;
  if (colons === 1) {
    const [host = '', port = ''] = hostPort.split(':');
    return { host, port };
  }
  return { host: hostPort, port: null }; // bare IPv6 or no port
}

export function isLoopbackHost(hostPort: string): boolean {
  const { host } = splitHostPort(hostPort.toLowerCase());
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function inCidr(host: string, cidr: string): boolean {
  const [network = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  if (!isIPv4(host) || !isIPv4(network) || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4ToNumber(host) / size) === Math.floor(ipv4ToNumber(network) / size);
}

/**
 * Matches Docker's `insecure-registries` entries: `host`, `host:port` (exact, scheme prefixes
 * ignored) or an IPv4 CIDR (matched against IP literals only; we do not resolve names).
 */
export function isInsecureRegistry(registry: string, insecureRegistries: readonly string[]): boolean {
  const target = registry.toLowerCase();
  const { host } = splitHostPort(target);
  return insecureRegistries.some((raw) => {
    const entry = raw.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    if (entry.includes('/')) return inCidr(host, entry);
    return entry === target || (isDockerHubHost(entry) && isDockerHubHost(target));
  });
}

/**
 * `loopbackPlainHttp: false` makes a loopback registry an ordinary one (verified HTTPS): for a
 * TLS registry on localhost with a trusted CA, and for the tests of TLS, which may only talk to
 * loopback on this machine.
 */
export function resolveEndpoint(registry: string, insecureRegistries: readonly string[] = [], loopbackPlainHttp = true): RegistryEndpoint {
  const name = registry.toLowerCase();
  const hub = isDockerHubHost(name);
  const apiHost = hub ? DOCKER_HUB_API_HOST : name;
  let plans: TransportPlan[];
  if (loopbackPlainHttp && isLoopbackHost(apiHost)) {
    plans = [{ scheme: 'http', verifyTls: false }];
  } else if (isInsecureRegistry(name, insecureRegistries)) {
    plans = [
      { scheme: 'https', verifyTls: false },
      { scheme: 'http', verifyTls: false },
    ];
  } else {
    plans = [{ scheme: 'https', verifyTls: true }];
  }
  return { registry: hub ? DOCKER_HUB : name, apiHost, plans };
}
