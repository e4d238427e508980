/**
 * Bench-only: where a rebase's time goes. Wraps the engine and registry clients so every call
 * that returns a promise is recorded (start, end), and takes the rebase's progress steps as phase
 * marks. Nothing in src/ knows about it.
 */
import { performance } from 'node:perf_hooks';

export interface TracedCall {
  readonly what: string;
  readonly start: number;
  end: number | null;
}

export class CallTrace {
  readonly #origin = performance.now();
  readonly calls: TracedCall[] = [];
  readonly marks: Array<{ readonly step: string; readonly at: number }> = [];

  now(): number {
    return performance.now() - this.#origin;
  }

  mark(step: string): void {
    this.marks.push({ step, at: this.now() });
  }

  /** The same object, with each method's promise timed; the first argument names the call. */
  wrap<T extends object>(label: string, target: T): T {
    return new Proxy(target, {
      get: (object, key, receiver) => {
        const value: unknown = Reflect.get(object, key, receiver);
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (!(result instanceof Promise)) return result;
          const first = typeof args[0] === 'string' ? ` ${args[0].slice(0, 19)}` : '';
          const call: TracedCall = { what: `${label}.${key}${first}`, start: this.now(), end: null };
          this.calls.push(call);
          return result.finally(() => {
            call.end = this.now();
          });
        };
      },
    });
  }

  /** One line per phase (time to the next mark) and one per call, in ms from the start. */
  report(total: number): string[] {
    const lines: string[] = [];
    const marks = [{ step: '(start)', at: 0 }, ...this.marks];
    marks.forEach((mark, i) => {
      const next = marks[i + 1]?.at ?? total;
      lines.push(`  phase ${(next - mark.at).toFixed(0).padStart(5)} ms  ${mark.step}`);
    });
    for (const call of this.calls) {
      const took = call.end === null ? '?' : (call.end - call.start).toFixed(0);
      lines.push(`  call  @${call.start.toFixed(0).padStart(5)} ms ${took.padStart(5)} ms  ${call.what}`);
    }
    return lines;
  }
}
