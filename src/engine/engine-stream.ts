/**
 * The engine's progress streams (pull, load, build): JSON messages, one after another. The HTTP
 * status is 200 even when the operation failed; the failure is a message with `error` (or
 * `errorDetail`), so the stream must be read to its end.
 */
import type { Readable } from 'node:stream';

export interface StreamMessage {
  readonly status?: string;
  readonly stream?: string;
  readonly id?: string;
  readonly progress?: string;
  readonly progressDetail?: { current?: number; total?: number };
  readonly error?: string;
  readonly errorDetail?: { message?: string };
  readonly aux?: Record<string, unknown>;
}

export interface StreamOutcome {
  /** The first error message, or null when the operation succeeded. */
  readonly error: string | null;
  readonly messages: readonly StreamMessage[];
}

/** Splits concatenated JSON values (with or without newlines between them). */
export function splitJsonValues(buffer: string): { values: string[]; rest: string } {
  const values: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        values.push(buffer.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return { values, rest: depth > 0 && start >= 0 ? buffer.slice(start) : '' };
}

/** Reads a progress stream to its end; keeps at most `keep` messages (the last ones). */
export async function readProgressStream(
  stream: NodeJS.ReadableStream | Readable,
  onMessage: (message: StreamMessage) => void = () => {},
  keep = 200,
): Promise<StreamOutcome> {
  let buffer = '';
  let error: string | null = null;
  const messages: StreamMessage[] = [];
  const take = (text: string): void => {
    let message: StreamMessage;
    try {
      message = JSON.parse(text) as StreamMessage;
    } catch {
      return;
    }
    messages.push(message);
    if (messages.length > keep) messages.shift();
    const failure = message.errorDetail?.message ?? message.error;
    if (failure !== undefined && error === null) error = failure;
    onMessage(message);
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const { values, rest } = splitJsonValues(buffer);
    values.forEach(take);
    buffer = rest;
  }
  if (buffer.trim() !== '') take(buffer);
  return { error, messages };
}
