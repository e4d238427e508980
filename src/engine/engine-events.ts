/**
 * The engine's event stream (GET /events), limited to image events: what the daemon reacts to
 * when an image is built, tagged, pulled or loaded outside basewatch. The stream is JSON values
 * one after another and stays open until the engine goes away.
 */
import { z } from 'zod';
import { splitJsonValues } from './engine-stream.js';

/** Image actions the daemon asks for. `build` is not an image event on every engine: a build's `tag` is. */
export const IMAGE_EVENT_ACTIONS = ['tag', 'untag', 'pull', 'load', 'import', 'delete', 'push'] as const;

export interface EngineEvent {
  /** `tag`, `pull`, `load`, `delete`, … */
  readonly action: string;
  /** The image id (`sha256:…`) or, for a pull, the reference pulled. */
  readonly id: string;
  /** The reference the event is about (`app:1`), when the engine names one. */
  readonly name: string | null;
  /** Unix seconds. */
  readonly time: number;
}

export interface EngineEventStream {
  /** Settles when the stream ends, with why (engine stopped, connection reset, closed by us). */
  readonly closed: Promise<string>;
  close(): void;
}

const RawEvent = z.looseObject({
  Type: z.string().optional(),
  Action: z.string().optional(),
  status: z.string().optional(),
  id: z.string().optional(),
  time: z.number().optional(),
  Actor: z.looseObject({ ID: z.string().optional(), Attributes: z.record(z.string(), z.string()).optional() }).optional(),
});

/** Pure: one engine event as we use it, or null for anything else (container events, junk). */
export function parseEngineEvent(value: unknown): EngineEvent | null {
  const parsed = RawEvent.safeParse(value);
  if (!parsed.success) return null;
  const raw = parsed.data;
  if (raw.Type !== undefined && raw.Type !== 'image') return null;
  const action = raw.Action ?? raw.status;
  const id = raw.Actor?.ID ?? raw.id;
  if (action === undefined || id === undefined) return null;
  const name = raw.Actor?.Attributes?.['name'] ?? null;
  return { action, id, name: name === '' ? null : name, time: raw.time ?? 0 };
}

export function readEngineEvents(
  stream: NodeJS.ReadableStream & { destroy?: (error?: Error) => void },
  onEvent: (event: EngineEvent) => void,
): EngineEventStream {
  let buffer = '';
  let closedByUs = false;
  const closed = new Promise<string>((resolve) => {
    stream.on('data', (chunk: Buffer | string) => {
      buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const { values, rest } = splitJsonValues(buffer);
      buffer = rest;
      for (const text of values) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          continue;
        }
        const event = parseEngineEvent(value);
        if (event !== null) onEvent(event);
      }
    });
    stream.on('end', () => resolve(closedByUs ? 'closed' : 'the engine ended the event stream'));
    stream.on('close', () => resolve(closedByUs ? 'closed' : 'the connection to the engine closed'));
    stream.on('error', (error: NodeJS.ErrnoException) => resolve(closedByUs ? 'closed' : describeStreamError(error)));
  });
  return {
    closed,
    close() {
      closedByUs = true;
      stream.destroy?.();
    },
  };
}

/**
 * Node fails a response cut off mid-body with a bare "aborted" (code ECONNRESET): what a
 * stopping or restarting engine does to an open event stream. Say that instead.
 */
function describeStreamError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNRESET') return 'the engine closed the connection';
  return `event stream failed: ${error.message}`;
}
