import { runCheck } from '../pipeline/run-check.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './main.js';
import { renderCheck } from './render-check.js';
import { colorEnabled, createStyle } from './style.js';

export interface CheckCommandOptions {
  readonly offline: boolean;
  readonly json: boolean;
  readonly exitCode: boolean;
  readonly roots: readonly string[];
}

/** A one-line progress note on stderr, only when a person is watching. */
function progressReporter(io: CliIo, json: boolean): { update(message: string): void; done(): void } {
  const live = io.stderr.isTTY === true && !json;
  let shown = false;
  return {
    update(message) {
      if (!live) return;
      io.stderr.write(`\r\u001b[2K${message}…`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
    },
  };
}

export async function runCheckCommand(options: CheckCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  if (!options.offline) {
    io.stderr.write(
      createStyle(colorEnabled(io.stderr, io.env)).red(
        'basewatch: upstream registry checks are not available in this version yet; run `basewatch check --offline`\n',
      ),
    );
    return EXIT.usage;
  }
  const progress = progressReporter(io, options.json);
  const report = await runCheck({
    roots: options.roots,
    cwd: io.cwd,
    env: io.env,
    offline: options.offline,
    onProgress: (message) => progress.update(message),
  });
  progress.done();
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderCheck(report, style));

  if (report.engine === null && report.errors.some((error) => error.where === 'engine')) return EXIT.engineUnreachable;
  if (report.errors.length > 0) return EXIT.partial;
  if (options.exitCode && report.images.some((image) => image.status === 'outdated')) return EXIT.outdated;
  return EXIT.ok;
}
