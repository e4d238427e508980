/**
 * After each cycle: pick what is new (not notified before, not snoozed), build one message,
 * deliver it to the desktop and the webhook, remember it. Best effort throughout: a missing
 * display or a dead webhook is logged once and the daemon carries on.
 */
import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/logger.js';
import type { CycleResult } from '../record/cycle-result.js';
import { type DesktopCheck, type DesktopMessage, type SendResult, checkDesktop, sendDesktopNotification } from './desktop.js';
import { type Notification, buildNotification, notifiableItems } from './notification-message.js';
import { loadNotifyMemory, rememberSent, unseenItems, updateNotifyMemory } from './notify-memory.js';
import { type WebhookBody, type WebhookResult, postWebhook, webhookBody, webhookOrigin } from './webhook.js';

export interface CycleNotifierOptions {
  readonly stateDir: string;
  readonly logger: Logger;
  /** Read at each cycle, so `config set notifications false` applies without a restart. */
  readonly settings: () => Settings;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly checkDesktop?: () => DesktopCheck;
  readonly sendDesktop?: (message: DesktopMessage) => Promise<SendResult>;
  readonly postWebhook?: (url: string, body: WebhookBody) => Promise<WebhookResult>;
}

export interface NotifyOutcome {
  readonly notification: Notification | null;
  readonly desktop: 'sent' | 'off' | 'unavailable' | 'failed' | 'nothing';
  readonly webhook: 'sent' | 'off' | 'failed' | 'nothing';
}

export class CycleNotifier {
  readonly #options: CycleNotifierOptions;
  #desktopProblem: string | null = null;
  #webhookProblem: string | null = null;
  #lastDesktop: NotifyOutcome['desktop'] = 'nothing';

  constructor(options: CycleNotifierOptions) {
    this.#options = options;
  }

  /** For `status`: how notifications are doing. */
  status(): { desktop: string; webhook: string | null } {
    const settings = this.#options.settings();
    const desktopCheck = (this.#options.checkDesktop ?? (() => checkDesktop(this.#options.env)))();
    const desktop = !settings.notifications ? 'off (notifications=false)' : desktopCheck.ok ? (this.#lastDesktop === 'failed' ? `failing: ${this.#desktopProblem ?? ''}` : 'ready') : `unavailable: ${desktopCheck.problem ?? ''}`;
    const webhook = settings.notifyWebhook === null ? null : this.#webhookProblem === null ? `ready (${webhookOrigin(settings.notifyWebhook)})` : `failing: ${this.#webhookProblem}`;
    return { desktop, webhook };
  }

  async notifyCycle(result: CycleResult): Promise<NotifyOutcome> {
    const { logger } = this.#options;
    const now = (this.#options.now ?? (() => new Date()))();
    const settings = this.#options.settings();
    const items = notifiableItems(result);
    if (items.length === 0) return { notification: null, desktop: 'nothing', webhook: 'nothing' };
    const memory = await loadNotifyMemory(this.#options.stateDir);
    const fresh = unseenItems(memory, items, now);
    const notification = buildNotification(fresh);
    if (notification === null) {
      logger.debug('nothing new to notify', { items: items.length });
      return { notification: null, desktop: 'nothing', webhook: 'nothing' };
    }
    const [desktop, webhook] = await Promise.all([this.#desktop(notification, settings.notifications), this.#webhook(notification, settings.notifyWebhook, result, now)]);
    // Remember only what reached someone; with no channel at all there is nothing to repeat later either.
    const noChannel = (desktop === 'off' || desktop === 'unavailable') && webhook === 'off';
    if (desktop === 'sent' || webhook === 'sent' || noChannel) {
      // Onto the file as it is now, not the copy read before sending: `snooze` may have written since.
      await updateNotifyMemory(this.#options.stateDir, (current) => rememberSent(current, fresh, now));
    }
    logger.info('notification', { title: notification.title, items: fresh.length, desktop, webhook });
    return { notification, desktop, webhook };
  }

  async #desktop(notification: Notification, enabled: boolean): Promise<NotifyOutcome['desktop']> {
    if (!enabled) return 'off';
    const check = (this.#options.checkDesktop ?? (() => checkDesktop(this.#options.env)))();
    if (!check.ok) {
      if (this.#desktopProblem !== check.problem) this.#options.logger.warn('desktop notifications unavailable', { problem: check.problem, fix: 'run `basewatch doctor`' });
      this.#desktopProblem = check.problem;
      this.#lastDesktop = 'unavailable';
      return 'unavailable';
    }
    const sent = await (this.#options.sendDesktop ?? ((message) => sendDesktopNotification(message, this.#options.env)))(notification);
    if (!sent.ok) {
      if (this.#desktopProblem !== sent.problem) this.#options.logger.warn('desktop notification failed', { problem: sent.problem });
      this.#desktopProblem = sent.problem;
      this.#lastDesktop = 'failed';
      return 'failed';
    }
    this.#desktopProblem = null;
    this.#lastDesktop = 'sent';
    return 'sent';
  }

  async #webhook(notification: Notification, url: string | null, result: CycleResult, now: Date): Promise<NotifyOutcome['webhook']> {
    if (url === null) return 'off';
    const trigger = result.trigger.detail === undefined ? result.trigger.kind : `${result.trigger.kind}: ${result.trigger.detail}`;
    const posted = await (this.#options.postWebhook ?? postWebhook)(url, webhookBody(notification, trigger, now));
    if (!posted.ok) {
      if (this.#webhookProblem !== posted.problem) this.#options.logger.warn('webhook failed', { problem: posted.problem });
      this.#webhookProblem = posted.problem;
      return 'failed';
    }
    this.#webhookProblem = null;
    return 'sent';
  }
}
