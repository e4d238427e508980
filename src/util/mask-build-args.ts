/**
 * Build-arg values are often secrets (`--build-arg TOKEN=…`, compose `args: { NPM_TOKEN: … }`):
 * basewatch shows which args a build uses, never their values, in every output (human and
 * `--json`), log and state file. Only the build links file (mode 0600) keeps values, because a
 * rebuild needs them; `--build-arg KEY` alone keeps none and reads KEY from the environment at
 * rebuild time, as `docker build` does.
 */

/** What a value is shown as. */
export const MASKED_VALUE = '***';

/** The same keys, every value masked. */
export function maskBuildArgs(args: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(args).map((key) => [key, MASKED_VALUE]));
}

/**
 * `text` with every occurrence of these values masked: for free text that may echo one (a build
 * log, an engine error). Values shorter than 4 characters are words, not secrets: masking every
 * `1` or `yes` would garble the text and hide nothing.
 */
export function maskValuesIn(text: string, values: readonly string[]): string {
  return values
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((masked, value) => masked.split(value).join(MASKED_VALUE), text);
}
