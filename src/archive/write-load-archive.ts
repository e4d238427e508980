/**
 * Writes a `docker load` tar in the legacy layout (manifest.json, `<config hex>.json`,
 * `<dir>/layer.tar`) into a Writable, respecting its backpressure. Base layers may be EMPTY
 * placeholders: the classic image store computes each layer's chain ID from the config and
 * skips a layer it already has without reading the file (design.md "Engine facts"). The
 * containerd store and Podman read every file, so they need real bytes: a spooled file, or a
 * stream passed through from another `docker save` (see copy-archive-layers.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { type Pack, pack } from 'tar-stream';
import { ArchiveError } from './archive-error.js';
import { ImageConfigRootfsSchema } from './archive-schemas.js';
import { hashGunzipped } from './hash-gunzipped.js';
import { waitForDrain } from './tar-io.js';

export type LoadLayerSource =
  | { kind: 'file'; file: string; size: number }
  | { kind: 'placeholder' }
  | { kind: 'stream'; stream: Readable | AsyncIterable<Buffer>; size: number };

export interface LoadArchiveSpec {
  /** The image config, byte for byte: its sha256 becomes the image ID. */
  configBytes: Buffer;
  /** Tag to put on the loaded image ("repo:tag"), or null for none. */
  repoTag: string | null;
  /** Bottom layer first; their diff_ids must be the config's rootfs.diff_ids. */
  layers: Array<{ diffId: string; source: LoadLayerSource }>;
}

const EPOCH = new Date(0);

/**
 * Writes the whole archive for `spec` into target and ends target; resolves once target has
 * taken every byte. manifest.json and the config come first, so a streaming reader knows the
 * layout before any layer. On failure target is destroyed (never ended), so a half-written
 * archive cannot be loaded as if complete.
 */
export async function writeLoadArchive(target: Writable, spec: LoadArchiveSpec): Promise<{ bytes: number }> {
  const diffIds = configDiffIds(spec.configBytes);
  const listed = spec.layers.map((layer) => layer.diffId);
  if (listed.length !== diffIds.length || listed.some((diffId, i) => diffId !== diffIds[i])) {
    throw new ArchiveError(
      'bad-spec',
      `the layers given (${listed.join(', ') || 'none'}) are not the config's rootfs.diff_ids (${diffIds.join(', ') || 'none'})`,
    );
  }
  // One entry per diff_id; where a diff_id repeats, real bytes win over a placeholder.
  const sources = new Map<string, LoadLayerSource>();
  for (const { diffId, source } of spec.layers) {
    const known = sources.get(diffId);
    if (known === undefined || (known.kind === 'placeholder' && source.kind !== 'placeholder')) sources.set(diffId, source);
  }
  const writer = new LoadArchiveWriter(target);
  try {
    await writer.writeConfigAndManifest(spec.configBytes, spec.repoTag, diffIds.map(layerPath));
    for (const [diffId, source] of sources) await writer.addLayer(diffId, source);
    return await writer.end();
  } catch (error) {
    writer.abort(error);
    throw error;
  }
}

/** `<diffid hex>/layer.tar`: the entry a layer of known diff_id gets. */
function layerPath(diffId: string): string {
  return `${diffId.replace(/^sha256:/, '')}/layer.tar`;
}

/**
 * The archive built up one entry at a time, for when the layers arrive in an order of their
 * own (passed through from another archive, identified only once hashed): add layers, then
 * {@link finish} writes the config and a manifest.json mapping the config's diff_ids to the
 * entries. Calls must not overlap (await each). After a failure, call {@link abort}.
 */
export class LoadArchiveWriter {
  readonly #target: Writable;
  readonly #pack: Pack = pack();
  readonly #pumping: Promise<void>;
  #bytes = 0;
  #streamed = 0;
  /** diff_id → entry path of layers written so far. */
  readonly #entries = new Map<string, string>();
  #manifestWritten = false;

  constructor(target: Writable) {
    this.#target = target;
    this.#pumping = this.#pump();
    this.#pumping.catch(() => {}); // reported by whichever call awaits it next
  }

  /** Adds a layer whose diff_id the caller knows. A stream's bytes are hashed and must match it. */
  async addLayer(diffId: string, source: LoadLayerSource): Promise<void> {
    const path = layerPath(diffId);
    if (source.kind === 'placeholder') {
      await this.#entry(path, 0, []);
    } else if (source.kind === 'file') {
      await this.#entry(path, source.size, createReadStream(source.file) as AsyncIterable<Buffer>);
    } else {
      const hash = createHash('sha256');
      await this.#entry(path, source.size, source.stream as AsyncIterable<Buffer>, (chunk) => hash.update(chunk));
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== diffId) {
        throw new ArchiveError('digest-mismatch', `the stream given for layer ${diffId} hashes to ${actual}`);
      }
    }
    this.#entries.set(diffId, path);
  }

  /**
   * Adds a layer whose diff_id is not known yet, e.g. passed through from another archive:
   * `size` is its byte count as stored (tar headers need it up front). A gzip'ed layer is
   * written as is (docker load decompresses layer.tar) and hashed uncompressed. Resolves to
   * its diff_id.
   */
  async addLayerStream(stream: AsyncIterable<Buffer>, size: number, compression: 'none' | 'gzip' = 'none'): Promise<string> {
    this.#streamed += 1;
    const path = `layer-${this.#streamed}/layer.tar`;
    let diffId: string;
    if (compression === 'gzip') {
      const hashing = hashGunzipped();
      await this.#entry(path, size, stream, (chunk) => hashing.write(chunk));
      diffId = await hashing.end();
    } else {
      const hash = createHash('sha256');
      await this.#entry(path, size, stream, (chunk) => hash.update(chunk));
      diffId = `sha256:${hash.digest('hex')}`;
    }
    if (!this.#entries.has(diffId)) this.#entries.set(diffId, path);
    return diffId;
  }

  /** The diff_ids that have an entry so far. */
  get layers(): ReadonlySet<string> {
    return new Set(this.#entries.keys());
  }

  /**
   * Writes the config and manifest.json (every config diff_id must have an entry by now),
   * ends the tar and target, and resolves once target has taken every byte.
   */
  async finish(configBytes: Buffer, repoTag: string | null): Promise<{ bytes: number }> {
    const diffIds = configDiffIds(configBytes);
    const paths = diffIds.map((diffId, i) => {
      const path = this.#entries.get(diffId);
      if (path === undefined) {
        throw new ArchiveError('bad-spec', `layer ${i + 1} of ${diffIds.length} of the config (${diffId}) was never added to the archive`);
      }
      return path;
    });
    await this.writeConfigAndManifest(configBytes, repoTag, paths);
    return this.end();
  }

  /** @internal Writes `<hex>.json` and manifest.json listing `layerPaths`. */
  async writeConfigAndManifest(configBytes: Buffer, repoTag: string | null, layerPaths: readonly string[]): Promise<void> {
    if (this.#manifestWritten) throw new ArchiveError('bad-spec', 'the manifest was already written');
    this.#manifestWritten = true;
    const configName = `${createHash('sha256').update(configBytes).digest('hex')}.json`;
    const manifest = [{ Config: configName, RepoTags: repoTag === null ? null : [repoTag], Layers: layerPaths }];
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    await this.#entry('manifest.json', manifestBytes.length, [manifestBytes]);
    await this.#entry(configName, configBytes.length, [configBytes]);
  }

  /** @internal Ends the tar and target; resolves once target has taken every byte. */
  async end(): Promise<{ bytes: number }> {
    this.#pack.finalize();
    await this.#pumping;
    return { bytes: this.#bytes };
  }

  /**
   * Stops writing: destroys the tar and target so nothing half-written gets loaded. target is
   * destroyed without an error (an 'error' event would crash a caller with no listener); the
   * reason reaches the caller through the rejected call.
   */
  abort(error?: unknown): void {
    this.#pack.destroy(error instanceof Error ? error : new Error('load archive aborted'));
    this.#target.destroy();
  }

  /** Pack → target with backpressure; then ends target and waits for 'finish'. */
  async #pump(): Promise<void> {
    const target = this.#target;
    let failure: Error | null = null;
    const onError = (error: Error): void => {
      failure ??= error;
      this.#pack.destroy(error);
    };
    target.on('error', onError);
    try {
      for await (const chunk of this.#pack as AsyncIterable<Buffer>) {
        if (failure !== null) throw failure;
        this.#bytes += chunk.length;
        if (!target.write(chunk)) await waitForDrain(target);
        if (failure === null && target.destroyed) failure = new Error('the load archive target closed early');
        if (failure !== null) throw failure;
      }
      await new Promise<void>((resolve, reject) =>
        target.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      if (failure !== null) throw failure;
    } finally {
      target.off('error', onError);
    }
  }

  /** Writes one file entry and waits until the tar has taken it; fails when the body's length is not `length`. */
  async #entry(name: string, length: number, body: Iterable<Buffer> | AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<void> {
    let written = 0;
    const packed = new Promise<void>((resolve, reject) => {
      const sink = this.#pack.entry({ name, size: length, mode: 0o644, mtime: EPOCH, type: 'file' }, (error) =>
        error ? reject(error) : resolve(),
      );
      sink.on('error', () => {}); // reported through the entry callback above
      void (async () => {
        for await (const chunk of body) {
          written += chunk.length;
          onChunk?.(chunk);
          if (!sink.write(chunk)) await waitForDrain(sink);
          if (sink.destroyed) return;
        }
        if (written !== length) {
          throw new ArchiveError('bad-spec', `${name}: expected ${length} bytes, the source gave ${written}`);
        }
        sink.end(null);
      })().catch((error: unknown) => {
        sink.destroy(error instanceof Error ? error : new Error(String(error)));
        reject(error);
      });
    });
    // Whichever fails first: this entry, or the target (which stalls the entry forever).
    await Promise.race([packed, this.#pumping.then(() => packed)]);
  }
}

/** The config's rootfs.diff_ids: the order of the layers in the manifest. */
function configDiffIds(configBytes: Buffer): string[] {
  let value: unknown;
  try {
    value = JSON.parse(configBytes.toString('utf8'));
  } catch (error) {
    throw new ArchiveError('bad-spec', 'the image config is not JSON', { cause: error });
  }
  const parsed = ImageConfigRootfsSchema.safeParse(value);
  if (!parsed.success) throw new ArchiveError('bad-spec', 'the image config has no valid rootfs.diff_ids');
  return parsed.data.rootfs.diff_ids;
}

/** sha256 of zero bytes: what the classic store hashes an EMPTY placeholder layer.tar to. */
export const EMPTY_FILE_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Recognises the classic store's refusal of a placeholder for a layer it does not have: the
 * `error` of a POST /images/load stream (which answers 200 anyway) reads, on Engine 20.10,
 * `invalid diffID for layer 0: expected "sha256:…", got "sha256:e3b0…"` (the empty file's
 * hash). Returns the layer index and the diff_id it wanted, or null for any other error. Other
 * stores fail differently; a caller that used placeholders should fall back to a full load on
 * any load error and use this only to say why.
 */
export function placeholderRefusal(loadError: string): { layer: number; diffId: string } | null {
  const match = /invalid diffID for layer (\d+): expected "(sha256:[0-9a-f]{64})", got "(sha256:[0-9a-f]{64})"/.exec(loadError);
  if (match?.[1] === undefined || match[2] === undefined || match[3] !== EMPTY_FILE_DIGEST) return null;
  return { layer: Number(match[1]), diffId: match[2] };
}
