/** What is wrong with an image archive, coarse enough for the caller to choose a fallback. */
export type ArchiveProblem =
  | 'not-a-tar' // the stream is not a tar at all
  | 'truncated' // the stream ended in the middle of an entry, or before the manifest
  | 'no-manifest' // neither manifest.json nor index.json
  | 'bad-manifest' // manifest.json / index.json / an OCI manifest does not parse
  | 'image-not-found' // the image the caller asked for is not in the archive
  | 'ambiguous-image' // several images and the caller did not say which
  | 'missing-config'
  | 'missing-layer' // a layer the manifest lists is not in the archive
  | 'bad-layer' // a layer is not a readable tar (or uses a compression we cannot read)
  | 'digest-mismatch' // content does not hash to the digest its name or the config says
  | 'too-large' // a JSON document over the size we are willing to hold in memory
  | 'bad-spec'; // writeLoadArchive was asked for something inconsistent

/** A `docker save` stream we cannot use, or a load archive we cannot write; `message` names what. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  readonly problem: ArchiveProblem;

  constructor(problem: ArchiveProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.problem = problem;
  }
}
