/**
 * Collects bursts of items (file paths, image names) into one call: `flush` runs `delayMs` after
 * the last item, or `maxWaitMs` after the first when items keep coming (a build tool rewriting
 * files every 100 ms must not postpone the check for ever).
 */
export interface Debouncer<T> {
  push(item: T): void;
  /** Drops what is waiting; nothing is flushed. */
  cancel(): void;
  /** Items waiting for the next flush. */
  readonly waiting: number;
}

export interface DebounceOptions<T> {
  readonly delayMs: number;
  readonly maxWaitMs: number;
  readonly flush: (items: T[]) => void;
}

export function createDebouncer<T>(options: DebounceOptions<T>): Debouncer<T> {
  let items: T[] = [];
  let quiet: NodeJS.Timeout | null = null;
  let deadline: NodeJS.Timeout | null = null;
  const clear = (): void => {
    if (quiet !== null) clearTimeout(quiet);
    if (deadline !== null) clearTimeout(deadline);
    quiet = null;
    deadline = null;
  };
  const fire = (): void => {
    clear();
    const batch = items;
    items = [];
    if (batch.length > 0) options.flush(batch);
  };
  return {
    push(item) {
      items.push(item);
      if (quiet !== null) clearTimeout(quiet);
      quiet = setTimeout(fire, options.delayMs);
      deadline ??= setTimeout(fire, options.maxWaitMs);
    },
    cancel() {
      clear();
      items = [];
    },
    get waiting() {
      return items.length;
    },
  };
}
