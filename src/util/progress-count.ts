/** How progress messages count the work done, the same way in every stage. */

/**
 * "14/52 MB": bytes so far of an expected total, in whole megabytes; the total is at least 1,
 * and the part done never passes it (the total is an estimate and may fall short).
 */
export function megabytes(done: number, total: number | null): string {
  const mb = (bytes: number): number => Math.floor(bytes / 1_000_000);
  if (total === null || total <= 0) return `${mb(done)} MB`;
  const whole = Math.max(1, Math.ceil(total / 1_000_000));
  return `${Math.min(mb(done), whole)}/${whole} MB`;
}
