/**
 * The one module that imports node-notifier. Desktop notifications are best effort: with no
 * display, no session bus or no notify-send, `checkDesktop` says what is missing (for the log,
 * once, and for `basewatch doctor`) and nothing is sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type notifier from 'node-notifier';

export interface DesktopCheck {
  readonly ok: boolean;
  /** What is missing, in words a user can act on; null when ok. */
  readonly problem: string | null;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * A service started by systemd sees DBUS_SESSION_BUS_ADDRESS only when the user bus is set up
 * (dbus-user-session); the bus socket is still at $XDG_RUNTIME_DIR/bus. Returns the address to
 * use, or null.
 */
export function sessionBusAddress(env: NodeJS.ProcessEnv): string | null {
  const given = env.DBUS_SESSION_BUS_ADDRESS;
  if (given !== undefined && given !== '') return given;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime === undefined || runtime === '') return null;
  const socket = path.join(runtime, 'bus');
  try {
    return fs.statSync(socket).isSocket() ? `unix:path=${socket}` : null;
  } catch {
    return null;
  }
}

export function checkDesktop(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): DesktopCheck {
  if (platform === 'darwin' || platform === 'win32') return { ok: true, problem: null };
  if (onPath('notify-send', env) === null) {
    return { ok: false, problem: 'notify-send is not installed (Debian/Ubuntu: apt install libnotify-bin; Fedora: dnf install libnotify)' };
  }
  if (sessionBusAddress(env) === null) {
    return { ok: false, problem: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset and no $XDG_RUNTIME_DIR/bus): notifications need a desktop session' };
  }
  return { ok: true, problem: null };
}

export interface DesktopMessage {
  readonly title: string;
  readonly body: string;
  readonly urgency: 'normal' | 'critical';
}

export type SendResult = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/** Sends one notification; never rejects. */
export function sendDesktopNotification(message: DesktopMessage, env: NodeJS.ProcessEnv = process.env): Promise<SendResult> {
  const bus = sessionBusAddress(env);
  // node-notifier runs notify-send with this process's environment; give it the bus we found.
  if (bus !== null && process.env.DBUS_SESSION_BUS_ADDRESS === undefined) process.env.DBUS_SESSION_BUS_ADDRESS = bus;
  // Loaded on first use: a daemon with nothing to say does not carry node-notifier.
  return import('node-notifier').then(({ default: notifier }) => new Promise<SendResult>((resolve) => {
    const options: Record<string, unknown> = {
      title: message.title,
      message: message.body,
      'app-name': 'basewatch',
      urgency: message.urgency,
      // notify-send takes seconds through node-notifier (it multiplies by 1000).
      'expire-time': message.urgency === 'critical' ? 0 : 15,
      wait: false,
    };
    try {
      notifier.notify(options as notifier.Notification, (error: Error | string | null) => {
        // node-notifier passes notify-send's stderr as the "error" when the command succeeded.
        if (error instanceof Error) resolve({ ok: false, problem: error.message.split('\n')[0] ?? error.message });
        else resolve({ ok: true });
      });
    } catch (error) {
      resolve({ ok: false, problem: error instanceof Error ? error.message : String(error) });
    }
  }), (error: unknown) => ({ ok: false, problem: `node-notifier could not be loaded: ${error instanceof Error ? error.message : String(error)}` }));
}
