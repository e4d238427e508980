/**
 * Which history entries made a layer. The image config says so (`history[].empty_layer`),
 * but the engine's history endpoint does not pass it on: it reports Size 0 for an empty
 * entry AND for a real layer whose files hold no bytes (`RUN mkdir /data`, `RUN rm x`,
 * `WORKDIR /app`), and Id "<missing>" only means "no local image for this step".
 *
 * What we use instead, in order, per run of entries between two known layer counts:
 * 1. the number of diff_ids (RootFS.Layers) of the image itself and, when asked, of the
 *    local images named by history Ids (each is the image after that step);
 * 2. Size > 0 is always a layer;
 * 3. metadata-only instructions (ENV, LABEL, CMD, ...) never make one;
 * 4. when zero-size RUN/COPY/ADD/WORKDIR entries still outnumber the missing layers, the
 *    oldest ones are taken as layers: a guess, reported as such.
 */

export interface HistoryLayerInput {
  size: number;
  createdBy: string;
  /** diff_id count of the image this entry's Id names, when known. */
  layerCount: number | null;
}

export type EmptyLayerBasis = 'exact' | 'guessed';

export interface HistoryLayerResult {
  emptyLayer: boolean;
  basis: EmptyLayerBasis;
}

const METADATA_ONLY =
  /^(?:\/bin\/sh -c #\(nop\)\s*)?(?:ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|ARG|STOPSIGNAL|HEALTHCHECK|SHELL|VOLUME|ONBUILD|MAINTAINER)\b/;

export function isMetadataOnly(createdBy: string): boolean {
  return METADATA_ONLY.test(createdBy.trim());
}

/**
 * @param entries oldest first
 * @param totalLayers diff_id count of the image (the newest entry's image)
 */
export function inferEmptyLayers(entries: readonly HistoryLayerInput[], totalLayers: number): HistoryLayerResult[] {
  const results: HistoryLayerResult[] = entries.map(() => ({ emptyLayer: true, basis: 'exact' }));
  // Checkpoints: [index of last entry in the run, cumulative layer count after it].
  const checkpoints: Array<[number, number]> = [];
  entries.forEach((entry, index) => {
    if (entry.layerCount !== null && index !== entries.length - 1) checkpoints.push([index, entry.layerCount]);
  });
  if (entries.length > 0) checkpoints.push([entries.length - 1, totalLayers]);

  let start = 0;
  let layersBefore = 0;
  for (const [end, layersAfter] of checkpoints) {
    // Counts that go backwards mean the Ids do not form one chain; skip that checkpoint.
    if (layersAfter < layersBefore || end < start) continue;
    resolveRun(entries, results, start, end, layersAfter - layersBefore);
    start = end + 1;
    layersBefore = layersAfter;
  }
  return results;
}

function resolveRun(
  entries: readonly HistoryLayerInput[],
  results: HistoryLayerResult[],
  start: number,
  end: number,
  layers: number,
): void {
  const sized: number[] = [];
  const maybe: number[] = [];
  const metadata: number[] = [];
  for (let i = start; i <= end; i++) {
    const entry = entries[i];
    if (entry === undefined) continue;
    if (entry.size > 0) sized.push(i);
    else if (isMetadataOnly(entry.createdBy)) metadata.push(i);
    else maybe.push(i);
  }
  const set = (index: number, emptyLayer: boolean, basis: EmptyLayerBasis) => {
    results[index] = { emptyLayer, basis };
  };
  for (const i of sized) set(i, false, 'exact');
  let missing = layers - sized.length;
  if (missing <= 0) {
    for (const i of [...maybe, ...metadata]) set(i, true, 'exact');
    return;
  }
  if (missing === maybe.length) {
    for (const i of maybe) set(i, false, 'exact');
    for (const i of metadata) set(i, true, 'exact');
    return;
  }
  // Ambiguous: more zero-size candidates than missing layers (or, if our instruction list is
  // wrong, fewer). Take the oldest candidates first, then metadata entries.
  const basis: EmptyLayerBasis = 'guessed';
  for (const i of [...maybe, ...metadata]) {
    set(i, missing <= 0, basis);
    missing--;
  }
}
