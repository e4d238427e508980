/**
 * What has been notified already (so the same image and upstream digest never notify twice) and
 * what the user snoozed, in `notifications.json` in the state folder. Written atomically; a file
 * that does not parse starts afresh (the worst case is one repeated notification). The daemon and
 * `basewatch snooze` both write it: every change goes through updateNotifyMemory.
 */
import path from 'node:path';
import { z } from 'zod';
import { normalizeImageRef } from '../refs/image-ref.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { withFileLock } from '../util/file-lock.js';
import { readBoundedFile, setFileAsideWithNotice } from '../util/read-bounded-file.js';
import type { NotificationItem } from './notification-message.js';
import { notificationKey } from './notification-message.js';
import { ensurePrivateDir } from '../util/private-path.js';

export const NOTIFY_MEMORY_FILE = 'notifications.json';
/** The lock folder beside it that makes each read-modify-write whole. */
export const NOTIFY_MEMORY_LOCK = 'notifications.lock';
/** Sent keys older than this are forgotten: a digest that old will not come back. */
const FORGET_AFTER_MS = 180 * 86_400_000;

const SnoozeSchema = z.object({ target: z.string(), until: z.string(), at: z.string() });
export type Snooze = z.infer<typeof SnoozeSchema>;

const MemorySchema = z.object({
  version: z.literal(1),
  sent: z.record(z.string(), z.string()),
  snoozes: z.array(SnoozeSchema),
});
export type NotifyMemory = z.infer<typeof MemorySchema>;

export function emptyMemory(): NotifyMemory {
  return { version: 1, sent: {}, snoozes: [] };
}

export function notifyMemoryFile(stateDir: string): string {
  return path.join(stateDir, NOTIFY_MEMORY_FILE);
}

export async function loadNotifyMemory(stateDir: string): Promise<NotifyMemory> {
  const file = notifyMemoryFile(stateDir);
  // Bounded, regular files only: a FIFO in its place must not hang the daemon's notifier.
  const read = await readBoundedFile(file, 'notify-memory');
  if (!read.ok) {
    // Not a regular file or oversized: set aside, so the next save can write a fresh one.
    if (read.problem === 'not-regular' || read.problem === 'too-large') await setFileAsideWithNotice(file, 'notification memory', read.message);
    return emptyMemory();
  }
  try {
    const parsed = MemorySchema.safeParse(JSON.parse(read.text));
    return parsed.success ? parsed.data : emptyMemory();
  } catch {
    return emptyMemory();
  }
}

export async function saveNotifyMemory(stateDir: string, memory: NotifyMemory): Promise<void> {
  await writeFileAtomic(notifyMemoryFile(stateDir), `${JSON.stringify(memory, null, 2)}\n`);
}

/**
 * Applies `change` to the memory as it is on disk now and saves the result, under a lock. The
 * notifier sends (seconds, for a slow webhook) before it knows what to remember; a snooze written
 * meanwhile must not be overwritten with the copy it read before sending. `change` must be pure.
 */
export async function updateNotifyMemory(stateDir: string, change: (memory: NotifyMemory) => NotifyMemory): Promise<NotifyMemory> {
  await ensurePrivateDir(stateDir);
  return withFileLock(path.join(stateDir, NOTIFY_MEMORY_LOCK), async () => {
    const next = change(await loadNotifyMemory(stateDir));
    await saveNotifyMemory(stateDir, next);
    return next;
  });
}

/** Both spellings of a reference: as typed, and normalised like Docker (`python` → docker.io/library/python:latest). */
function spellings(ref: string): string[] {
  const normalised = normalizeImageRef(ref);
  const repository = normalised?.replace(/[:@][^/]*$/, '') ?? null;
  return [ref, ...(normalised === null ? [] : [normalised]), ...(repository === null ? [] : [repository])];
}

/** Pure: whether a snooze target (an image or a base, with or without tag) covers this item. */
export function snoozeCovers(target: string, item: NotificationItem): boolean {
  const wanted = normalizeImageRef(target) ?? target;
  const tagless = !/[:@][^/]*$/.test(target);
  const names = [item.target, ...(item.baseRef === null ? [] : [item.baseRef])].flatMap(spellings);
  if (names.includes(target) || names.includes(wanted)) return true;
  // "python" silences every python tag; "python:3.12" only that one.
  return tagless && names.includes(wanted.replace(/:latest$/, ''));
}

/** Pure: the items still worth telling, given what was sent and what is snoozed at `now`. */
export function unseenItems(memory: NotifyMemory, items: readonly NotificationItem[], now: Date): NotificationItem[] {
  const active = memory.snoozes.filter((snooze) => Date.parse(snooze.until) > now.getTime());
  return items.filter((item) => memory.sent[notificationKey(item)] === undefined && !active.some((snooze) => snoozeCovers(snooze.target, item)));
}

/** Pure: memory after these items were delivered; old entries and ended snoozes dropped. */
export function rememberSent(memory: NotifyMemory, items: readonly NotificationItem[], now: Date): NotifyMemory {
  const sent: Record<string, string> = {};
  for (const [key, at] of Object.entries(memory.sent)) if (now.getTime() - Date.parse(at) < FORGET_AFTER_MS) sent[key] = at;
  for (const item of items) sent[notificationKey(item)] = now.toISOString();
  return { ...memory, sent, snoozes: memory.snoozes.filter((snooze) => Date.parse(snooze.until) > now.getTime()) };
}

/** Pure: memory with `target` snoozed until `until` (0 seconds lifts a snooze). */
export function withSnooze(memory: NotifyMemory, target: string, seconds: number, now: Date): NotifyMemory {
  const others = memory.snoozes.filter((snooze) => snooze.target !== target && Date.parse(snooze.until) > now.getTime());
  if (seconds <= 0) return { ...memory, snoozes: others };
  return { ...memory, snoozes: [...others, { target, until: new Date(now.getTime() + seconds * 1000).toISOString(), at: now.toISOString() }] };
}
