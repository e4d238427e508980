/**
 * The daemon's last image list (issue 14: a file edit is a small event). A cycle lists the
 * engine's images once; an edit between cycles reuses that list unless the engine said something
 * about an image since (any image event: pull, tag, untag, delete, build, load; or the event stream
 * dropped or came back, when events may have been missed). Then the edit lists again, and keeps
 * that list for the next edit.
 *
 * Each event bumps a generation; a list is kept with the generation read *before* it was asked
 * for, so an event that arrives while the list is being read makes it stale at once.
 */
import type { LocalImages } from './read-images.js';

interface Kept {
  readonly local: LocalImages;
  readonly generation: number;
  readonly engine: string;
  /** The nameless ids read besides the list (readLocalImages' `keep`), sorted and joined. */
  readonly keep: string;
}

export class ImageListMemo {
  #generation = 0;
  /** False while the engine's events are not followed: nothing then says a list is still current. */
  #following = false;
  #kept: Kept | null = null;
  /** Lists read again because of an event since the last one, and lists reused (for the log and tests). */
  reads = 0;
  reuses = 0;

  /** An image event arrived: the kept list may be wrong. */
  changed(): void {
    this.#generation += 1;
    this.#kept = null;
  }

  /** Whether engine events are followed now (connected) or not (connecting, reconnecting). */
  following(on: boolean): void {
    if (on !== this.#following) this.changed();
    this.#following = on;
  }

  /** Always lists (a cycle: once per cycle), and keeps the list for the edits after it. */
  async fresh(engine: string, keep: ReadonlySet<string>, read: () => Promise<LocalImages>): Promise<LocalImages> {
    const generation = this.#generation;
    const local = await read();
    this.reads += 1;
    if (generation === this.#generation && this.#following) this.#kept = { local, generation, engine, keep: keyOf(keep) };
    return local;
  }

  /** The kept list when no event came since it was read (same engine, same nameless ids); else lists. */
  async current(engine: string, keep: ReadonlySet<string>, read: () => Promise<LocalImages>): Promise<LocalImages> {
    const kept = this.#kept;
    if (kept !== null && this.#following && kept.generation === this.#generation && kept.engine === engine && kept.keep === keyOf(keep)) {
      this.reuses += 1;
      return kept.local;
    }
    return this.fresh(engine, keep, read);
  }
}

function keyOf(keep: ReadonlySet<string>): string {
  return [...keep].sort().join(',');
}
