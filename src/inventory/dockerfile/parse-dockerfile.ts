/**
 * The one place that imports dockerfile-ast: it turns the library's tree into the few
 * plain facts the analyzer needs (keyword, line, flags, arguments, ARG/ENV properties).
 * dockerfile-ast handles the BOM, CRLF, the escape directive, line continuations with
 * comments or blank lines inside them, and heredoc bodies (which never become instructions).
 */
import { DockerfileParser, ModifiableInstruction, PropertyInstruction } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';

export interface DockerfileFlag {
  /** Flag name without the leading `--`, as written. */
  readonly name: string;
  /** Text after `=` exactly as written (quotes and escapes kept); null for a bare `--flag`. */
  readonly value: string | null;
}

export interface DockerfileProperty {
  readonly name: string;
  /** Value as written (quotes and escapes kept, continuations removed); null for `ARG NAME`. */
  readonly value: string | null;
}

export interface DockerfileInstruction {
  /** Upper-cased keyword (`from` → `FROM`). */
  readonly keyword: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
  readonly flags: readonly DockerfileFlag[];
  /** Non-flag arguments split on whitespace, as written (quotes and escapes kept). */
  readonly args: readonly string[];
  /** ARG / ENV declarations; empty for other instructions. */
  readonly properties: readonly DockerfileProperty[];
  /**
   * The arguments after the keyword and its flags as the builder reads them: each escaped line
   * break removed and comment lines inside the continuation dropped, spacing otherwise kept. The
   * classic builder records a RUN's command in the image history exactly so.
   */
  readonly text: string;
}

export interface ParsedDockerfile {
  readonly escapeChar: string;
  readonly instructions: readonly DockerfileInstruction[];
  readonly errors: ReadonlyArray<{ readonly line: number; readonly message: string }>;
}

const VALID_ESCAPE_CHARS = new Set(['\\', '`']);

/** Joins continuation lines the way the builder does (see {@link DockerfileInstruction.text}). */
function joinContinuations(raw: string, escapeChar: string): string {
  const [first = '', ...rest] = raw.split(/\r?\n/);
  const strip = (line: string): string => {
    const trimmed = line.replace(/[ \t]+$/, '');
    return trimmed.endsWith(escapeChar) ? trimmed.slice(0, -escapeChar.length) : line;
  };
  // A comment or blank line inside a continuation is no part of the instruction.
  const kept = rest.filter((line) => !/^\s*(?:#.*)?$/.test(line));
  return [first, ...kept].map(strip).join('');
}

function toInstruction(instruction: Instruction, escapeChar: string): DockerfileInstruction {
  const flags =
    instruction instanceof ModifiableInstruction
      ? instruction.getFlags().map((flag) => ({ name: flag.getName(), value: flag.getValue() }))
      : [];
  // getUnescapedValue keeps quotes and escape characters so that our BuildKit-style
  // expansion can decide what is quoted; getValue has already stripped them.
  const properties =
    instruction instanceof PropertyInstruction
      ? instruction.getProperties().map((property) => ({ name: property.getName(), value: property.getUnescapedValue() }))
      : [];
  return {
    keyword: instruction.getKeyword(),
    line: instruction.getRange().start.line + 1,
    flags,
    args: instruction.getArguments().map((argument) => argument.getValue()),
    properties,
    text: joinContinuations(instruction.getRawArgumentsContent() ?? '', escapeChar),
  };
}

/** Parses a Dockerfile's text; never throws. */
export function parseDockerfile(content: string): ParsedDockerfile {
  const errors: Array<{ line: number; message: string }> = [];
  const dockerfile = DockerfileParser.parse(content);
  for (const directive of dockerfile.getDirectives()) {
    // dockerfile-ast silently falls back to "\" for any other escape value; BuildKit
    // rejects it, and the rest of the file then parses differently than the user meant.
    if (directive.getName().toLowerCase() === 'escape' && !VALID_ESCAPE_CHARS.has(directive.getValue())) {
      errors.push({
        line: directive.getRange().start.line + 1,
        message: `invalid escape directive "${directive.getValue()}": the escape character must be \\ or \``,
      });
    }
  }
  return {
    escapeChar: dockerfile.getEscapeCharacter(),
    instructions: dockerfile.getInstructions().map((instruction) => toInstruction(instruction, dockerfile.getEscapeCharacter())),
    errors,
  };
}

/**
 * The `from=` value of a `RUN --mount=…` flag, or null when it has none. dockerfile-ast's
 * FlagOption keeps quote characters in names and values (`--mount="type=bind,from=x"` gives
 * an option named `"type`), so the value is split here the way BuildKit does it: the flag's
 * quotes are removed first (parser extractBuilderFlags), then the text is read as
 * comma-separated `key=value` fields with case-insensitive keys.
 */
export function mountFromOption(flagValue: string): string | null {
  let unquoted = '';
  let quote: string | null = null;
  for (const ch of flagValue) {
    if (quote !== null && ch === quote) quote = null;
    else if (quote === null && (ch === '"' || ch === "'")) quote = ch;
    else unquoted += ch;
  }
  for (const field of unquoted.split(',')) {
    const eq = field.indexOf('=');
    if (eq >= 0 && field.slice(0, eq).trim().toLowerCase() === 'from') return field.slice(eq + 1);
  }
  return null;
}
