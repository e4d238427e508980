/**
 * Docker Hub's rate-limit headers and `Retry-After`.
 * `ratelimit-limit: 100;w=21600` (100 pulls per 21600 s window), `ratelimit-remaining: 76;w=21600`.
 */

export interface RateLimitHeaders {
  readonly limit: number;
  readonly remaining: number;
  /** Window length in seconds, or null when the header carries no `w=`. */
  readonly windowSeconds: number | null;
}

export interface RateLimitState extends RateLimitHeaders {
  /** Display host: `docker.io`, `ghcr.io`, … */
  readonly registry: string;
  /** ISO-8601 time the headers were read. */
  readonly seenAt: string;
}

interface Quota {
  value: number;
  window: number | null;
}

function parseQuota(header: string): Quota | null {
  const [first, ...params] = header.split(';');
  const value = Number((first ?? '').trim());
  if ((first ?? '').trim() === '' || !Number.isFinite(value) || value < 0) return null;
  let window: number | null = null;
  for (const param of params) {
    const match = /^\s*w\s*=\s*(\d+)\s*$/.exec(param);
    if (match) window = Number(match[1]);
  }
  return { value, window };
}

/** Both headers must parse; a half-present pair says nothing useful about the budget. */
export function parseRateLimitHeaders(headers: { get(name: string): string | null }): RateLimitHeaders | null {
  const limitHeader = headers.get('ratelimit-limit');
  const remainingHeader = headers.get('ratelimit-remaining');
  if (limitHeader === null || remainingHeader === null) return null;
  const limit = parseQuota(limitHeader);
  const remaining = parseQuota(remainingHeader);
  if (limit === null || remaining === null) return null;
  return { limit: limit.value, remaining: remaining.value, windowSeconds: limit.window ?? remaining.window };
}

/**
 * `Retry-After` as seconds from `now`: either delta-seconds or an HTTP date. Null when absent
 * or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (text === '' || /^[-+]?\d/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
