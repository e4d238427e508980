/**
 * settings.notifyWebhook: the same notification POSTed as JSON, for people who want it on their
 * phone (ntfy, a chat bot). Only what the desktop shows is sent: image names, bases, digests,
 * outcomes; never credentials. The URL itself may hold a token, so logs show only its origin.
 */
import type { Notification } from './notification-message.js';

export interface WebhookBody {
  readonly source: 'basewatch';
  readonly title: string;
  readonly message: string;
  readonly urgency: 'normal' | 'critical';
  readonly items: ReadonlyArray<{ kind: string; image: string; base: string | null; digest: string | null; reason: string; packages: string | null; containers: readonly string[] }>;
  readonly trigger: string;
  readonly at: string;
}

export function webhookBody(notification: Notification, trigger: string, at: Date): WebhookBody {
  return {
    source: 'basewatch',
    title: notification.title,
    message: notification.body,
    urgency: notification.urgency,
    items: notification.items.map((item) => ({
      kind: item.kind,
      image: item.target,
      base: item.baseRef,
      digest: item.digest,
      reason: item.reason,
      packages: item.packages,
      containers: item.containers,
    })),
    trigger,
    at: at.toISOString(),
  };
}

/** "https://ntfy.sh" for "https://user:pw@ntfy.sh/secret-topic?auth=…". */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export type WebhookResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly problem: string };

/** POSTs the body; never rejects. */
export async function postWebhook(url: string, body: WebhookBody, timeoutMs = 10_000): Promise<WebhookResult> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'basewatch' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await response.body?.cancel();
    return response.ok ? { ok: true, status: response.status } : { ok: false, problem: `${webhookOrigin(url)} answered HTTP ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const why = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error instanceof Error ? error.message : String(error)));
    return { ok: false, problem: `${webhookOrigin(url)}: ${why}` };
  }
}
