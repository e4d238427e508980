/**
 * BuildKit's variable scopes: the global (meta) scope that `FROM` lines see, and the
 * per-stage scope that `COPY --from` / `RUN --mount=from=` values are expanded in.
 */
import { expandWord, lookupIn } from './expand-word.js';
import type { VariableLookup } from './expand-word.js';
import type { DockerfileProperty } from './parse-dockerfile.js';

export interface ScopeError {
  readonly message: string;
}

/**
 * ARGs declared before the first FROM, plus the automatic platform args. A build arg
 * replaces the default of a declared global ARG; undeclared build args stay invisible.
 */
/** A value as messages show it: quoted, and cut short when it is long (a hostile one can be megabytes). */
export function shownValue(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

export class GlobalScope {
  /**
   * Names whose value could not be expanded (the error is reported at their ARG): a word using
   * one is not reported again, so one bad ARG is one error, not one per FROM that uses it.
   */
  readonly failed = new Set<string>();

  private readonly values: Map<string, string>;

  constructor(
    platformArgs: ReadonlyMap<string, string>,
    private readonly buildArgs: Readonly<Record<string, string>>,
    private readonly escapeChar: string,
  ) {
    this.values = new Map(platformArgs);
  }

  /** Applies one global `ARG` instruction; returns expansion problems. */
  declare(properties: readonly DockerfileProperty[]): ScopeError[] {
    const errors: ScopeError[] = [];
    for (const { name, value } of properties) {
      const override = buildArgValue(this.buildArgs, name);
      if (override !== undefined) {
        this.values.set(name, override);
      } else if (value !== null) {
        const expanded = expandWord(value, this.lookup, this.escapeChar);
        if (!expanded.ok) {
          errors.push({ message: `cannot expand ARG ${name} default ${shownValue(value)}: ${expanded.error}` });
          this.failed.add(name);
        } else this.failed.delete(name);
        this.values.set(name, expanded.ok ? expanded.value : '');
      } else if (!this.values.has(name)) {
        // BuildKit treats a declared meta ARG without a value as set to "" (not unset), while
        // `ARG TARGETARCH` alone keeps its automatic value.
        this.values.set(name, '');
      }
    }
    return errors;
  }

  readonly lookup: VariableLookup = (name) => this.values.get(name);

  /**
   * The value a stage's bare `ARG NAME` inherits: a declared global ARG or a platform arg
   * (the only names this scope holds; undeclared build args never enter it).
   */
  inherited(name: string): string | undefined {
    return this.values.get(name);
  }
}

function buildArgValue(buildArgs: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(buildArgs, name) ? buildArgs[name] : undefined;
}

/**
 * A stage's ARG and ENV values. ENV wins over an ARG of the same name (as in Docker), ENV is
 * inherited from a parent stage (`FROM <stage>`), ARGs are not.
 */
export class StageScope {
  private readonly args = new Map<string, string>();
  /** As {@link GlobalScope.failed}, for this stage's ARG and ENV. */
  readonly failed = new Set<string>();
  private readonly env: Map<string, string>;

  constructor(
    private readonly global: GlobalScope,
    private readonly buildArgs: Readonly<Record<string, string>>,
    private readonly escapeChar: string,
    inheritedEnv: ReadonlyMap<string, string> = new Map(),
  ) {
    this.env = new Map(inheritedEnv);
  }

  get environment(): ReadonlyMap<string, string> {
    return this.env;
  }

  readonly lookup: VariableLookup = (name) => lookupIn(this.env, this.args)(name);

  declareArgs(properties: readonly DockerfileProperty[]): ScopeError[] {
    const errors: ScopeError[] = [];
    for (const { name, value } of properties) {
      const override = buildArgValue(this.buildArgs, name);
      if (override !== undefined) {
        this.args.set(name, override);
        continue;
      }
      if (value !== null) {
        const expanded = expandWord(value, this.lookup, this.escapeChar);
        if (!expanded.ok) {
          errors.push({ message: `cannot expand ARG ${name} default ${shownValue(value)}: ${expanded.error}` });
          this.failed.add(name);
        } else this.failed.delete(name);
        this.args.set(name, expanded.ok ? expanded.value : '');
        continue;
      }
      const inherited = this.global.inherited(name);
      if (inherited !== undefined) this.args.set(name, inherited);
      if (this.global.failed.has(name)) this.failed.add(name);
    }
    return errors;
  }

  declareEnv(properties: readonly DockerfileProperty[]): ScopeError[] {
    const errors: ScopeError[] = [];
    for (const { name, value } of properties) {
      if (value === null) continue;
      const expanded = expandWord(value, this.lookup, this.escapeChar);
      if (!expanded.ok) {
        errors.push({ message: `cannot expand ENV ${name} value ${shownValue(value)}: ${expanded.error}` });
        this.failed.add(name);
      } else this.failed.delete(name);
      this.env.set(name, expanded.ok ? expanded.value : '');
    }
    return errors;
  }
}
