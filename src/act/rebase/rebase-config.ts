/**
 * The config of a rebased image, computed from three configs: the app's (raw JSON: unknown fields
 * are kept), the old base's and the new base's. Pure.
 *
 * What a rebuild on the new base would give is the target: everything the app inherited from the
 * old base unchanged follows the new base; everything the app set itself stays. "Inherited" is
 * decided three-way: an app value equal to the old base's value was inherited. A value the app
 * built by extending the base's (PATH=/app/bin:$PATH) cannot be recomputed without the
 * Dockerfile, so the rebase is refused when that base value changed.
 */
import { z } from 'zod';
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, BUILDPACKS_METADATA_LABEL } from '../../link/link-images.js';

const HistoryEntrySchema = z.looseObject({
  created: z.string().optional(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
  author: z.string().optional(),
  empty_layer: z.boolean().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** The parts of an image config we read; everything else is carried over untouched. */
export const ImageConfigSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  config: z
    .looseObject({
      Env: z.array(z.string()).nullable().optional(),
      Labels: z.record(z.string(), z.string()).nullable().optional(),
      Image: z.string().optional(),
    })
    .nullable()
    .optional(),
  rootfs: z.looseObject({ type: z.string(), diff_ids: z.array(z.string()) }),
  history: z.array(HistoryEntrySchema).optional(),
});
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** Fields of `config` an app inherits from its base unless its Dockerfile sets them. */
const INHERITED_FIELDS = ['Cmd', 'Entrypoint', 'User', 'WorkingDir', 'StopSignal', 'Healthcheck', 'Shell'] as const;
/** Set-like fields (`EXPOSE`, `VOLUME`) the app adds to: merged key by key. */
const ADDITIVE_FIELDS = ['ExposedPorts', 'Volumes'] as const;

export interface RebaseConfigInput {
  /** The app image's config JSON, exactly as stored. */
  readonly appConfig: Buffer;
  readonly oldBaseConfig: Buffer;
  readonly newBaseConfig: Buffer;
  /** Image ID of the old and new base (sha256 of their config bytes). */
  readonly oldBaseId: string;
  readonly newBaseId: string;
  /** Normalised reference and manifest digest stamped into the base labels. */
  readonly newBaseRef: string;
  readonly newBaseDigest: string;
  /** Skip the buildpacks `io.buildpacks.rebasable=false` refusal (not the structural checks). */
  readonly force: boolean;
}

export type RebaseRefusalKind = 'not-a-prefix' | 'history' | 'platform' | 'env' | 'buildpacks' | 'config';

export interface RebaseRefusal {
  readonly kind: RebaseRefusalKind;
  readonly message: string;
}

export interface RebasedConfig {
  readonly configBytes: Buffer;
  /** Layers of the new image: new base's, then the app's own. */
  readonly diffIds: readonly string[];
  /** How many of the image's layers were the old base's (the app layers start there). */
  readonly oldBaseLayerCount: number;
  readonly warnings: readonly string[];
}

export type RebaseConfigResult = { readonly ok: true; readonly value: RebasedConfig } | { readonly ok: false; readonly refusals: readonly RebaseRefusal[] };

type Raw = Record<string, unknown>;

function parseConfig(bytes: Buffer, what: string): { raw: Raw; config: ImageConfig } | RebaseRefusal {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { kind: 'config', message: `the ${what} config is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = ImageConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'config', message: `the ${what} config is not an image config (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'})` };
  }
  return { raw: raw as Raw, config: parsed.data };
}

function platformOf(config: ImageConfig): string {
  return [config.os, config.architecture, config.variant].filter(Boolean).join('/');
}

function sameHistoryEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return a.created === b.created && a.created_by === b.created_by && (a.empty_layer ?? false) === (b.empty_layer ?? false) && a.comment === b.comment;
}

function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    map.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
  }
  return map;
}

/**
 * Three-way merge of key/value maps (Env, Labels). Result order follows the new base, then the
 * app's own keys, the order a rebuild gives.
 */
export function mergeThreeWay(
  app: ReadonlyMap<string, string>,
  oldBase: ReadonlyMap<string, string>,
  newBase: ReadonlyMap<string, string>,
): { merged: Map<string, string>; extended: string[] } {
  const merged = new Map<string, string>();
  const extended: string[] = [];
  // Base values the new base changes: an app value built from one of them (PATH=/x:$PATH,
  // CLASSPATH=$JAVA_HOME/lib) is stale after the swap. Very short values would match by chance.
  const changed = [...oldBase].filter(([key, old]) => old.length >= 3 && newBase.get(key) !== old).map(([, old]) => old);
  const resolve = (key: string): string | undefined => {
    const mine = app.get(key);
    const old = oldBase.get(key);
    const next = newBase.get(key);
    if (mine === undefined) return next;
    if (old === undefined || mine !== old) {
      if (changed.some((value) => mine.includes(value))) extended.push(key);
      return mine;
    }
    return next; // inherited: follow the new base (undefined: the new base dropped it)
  };
  for (const key of newBase.keys()) {
    const value = resolve(key);
    if (value !== undefined) merged.set(key, value);
  }
  for (const key of app.keys()) {
    if (merged.has(key) || newBase.has(key)) continue;
    const value = resolve(key);
    if (value !== undefined) merged.set(key, value);
  }
  return { merged, extended };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const BuildpacksRunImage = z.looseObject({
  runImage: z.looseObject({ topLayer: z.string().optional(), reference: z.string().optional(), image: z.string().optional() }).optional(),
});

export function rebaseConfig(input: RebaseConfigInput): RebaseConfigResult {
  const app = parseConfig(input.appConfig, 'image');
  const oldBase = parseConfig(input.oldBaseConfig, 'old base');
  const newBase = parseConfig(input.newBaseConfig, 'new base');
  const parseProblems = [app, oldBase, newBase].filter((result): result is RebaseRefusal => 'kind' in result);
  if (parseProblems.length > 0) return { ok: false, refusals: parseProblems };
  const a = (app as { raw: Raw; config: ImageConfig }).config;
  const o = (oldBase as { raw: Raw; config: ImageConfig }).config;
  const n = (newBase as { raw: Raw; config: ImageConfig }).config;
  const refusals: RebaseRefusal[] = [];
  const warnings: string[] = [];

  const appLayers = a.rootfs.diff_ids;
  const oldLayers = o.rootfs.diff_ids;
  const mismatch = oldLayers.findIndex((diffId, i) => appLayers[i] !== diffId);
  if (oldLayers.length > appLayers.length || mismatch >= 0) {
    const at = mismatch >= 0 ? mismatch + 1 : appLayers.length + 1;
    refusals.push({
      kind: 'not-a-prefix',
      message: `the old base's layers are not the bottom of this image (they differ at layer ${at}): it was not built on that base`,
    });
  }

  const appHistory = a.history ?? [];
  const oldHistory = o.history ?? [];
  if (oldHistory.length === 0) {
    warnings.push('the old base has no history; only its layers were compared');
  } else if (oldHistory.length > appHistory.length || !oldHistory.every((entry, i) => sameHistoryEntry(entry, appHistory[i] ?? {}))) {
    refusals.push({ kind: 'history', message: "the old base's history is not the start of this image's history" });
  }

  if (platformOf(a) !== platformOf(o) || platformOf(a) !== platformOf(n)) {
    refusals.push({
      kind: 'platform',
      message: `platforms differ: image ${platformOf(a)}, old base ${platformOf(o)}, new base ${platformOf(n)}`,
    });
  }

  const appSettings = (a.config ?? {}) as Raw;
  const oldSettings = (o.config ?? {}) as Raw;
  const newSettings = (n.config ?? {}) as Raw;
  const env = mergeThreeWay(envMap(a.config?.Env), envMap(o.config?.Env), envMap(n.config?.Env));
  for (const key of env.extended) {
    refusals.push({
      kind: 'env',
      message: `ENV ${key} was built from a base value that the new base changes: rebuild instead`,
    });
  }

  const labels = mergeThreeWay(
    new Map(Object.entries(a.config?.Labels ?? {})),
    new Map(Object.entries(o.config?.Labels ?? {})),
    new Map(Object.entries(n.config?.Labels ?? {})),
  ).merged;
  labels.set(BASE_NAME_LABEL, input.newBaseRef);
  labels.set(BASE_DIGEST_LABEL, input.newBaseDigest);

  const buildpacks = labels.get(BUILDPACKS_METADATA_LABEL);
  if (buildpacks !== undefined) {
    if (labels.get('io.buildpacks.rebasable') === 'false' && !input.force) {
      refusals.push({ kind: 'buildpacks', message: 'the image is labelled io.buildpacks.rebasable=false (use --force to rebase anyway)' });
    }
    let metadata: unknown;
    try {
      metadata = JSON.parse(buildpacks);
    } catch {
      metadata = null;
    }
    const parsed = BuildpacksRunImage.safeParse(metadata);
    if (!parsed.success) {
      refusals.push({ kind: 'buildpacks', message: `label ${BUILDPACKS_METADATA_LABEL} is not valid lifecycle metadata` });
    } else {
      const topLayer = n.rootfs.diff_ids.at(-1);
      const next = { ...parsed.data, runImage: { ...parsed.data.runImage, topLayer, reference: `${input.newBaseRef.replace(/@.*$/, '')}@${input.newBaseDigest}` } };
      labels.set(BUILDPACKS_METADATA_LABEL, JSON.stringify(next));
    }
  }
  if (refusals.length > 0) return { ok: false, refusals };

  const settings: Raw = { ...appSettings };
  // A Dockerfile that sets ENTRYPOINT resets CMD (docker build does): the app's CMD is its own then.
  const ownEntrypoint = !sameJson(appSettings['Entrypoint'], oldSettings['Entrypoint']);
  for (const field of INHERITED_FIELDS) {
    if (field === 'Cmd' && ownEntrypoint) continue;
    if (!sameJson(appSettings[field], oldSettings[field])) continue;
    if (newSettings[field] === undefined) delete settings[field];
    else settings[field] = newSettings[field];
  }
  for (const field of ADDITIVE_FIELDS) {
    const app = (appSettings[field] ?? {}) as Record<string, unknown>;
    const old = (oldSettings[field] ?? {}) as Record<string, unknown>;
    const next = (newSettings[field] ?? {}) as Record<string, unknown>;
    const added = Object.fromEntries(Object.entries(app).filter(([key]) => !(key in old)));
    const merged = { ...next, ...added };
    if (Object.keys(merged).length === 0) delete settings[field];
    else settings[field] = merged;
  }
  settings['Env'] = [...env.merged].map(([key, value]) => `${key}=${value}`);
  settings['Labels'] = Object.fromEntries(labels);
  // The classic builder records the parent image ID here; after the swap that is the new base.
  if (settings['Image'] === input.oldBaseId) settings['Image'] = input.newBaseId;

  const raw = (app as { raw: Raw }).raw;
  const diffIds = [...n.rootfs.diff_ids, ...appLayers.slice(oldLayers.length)];
  const next: Raw = {
    ...raw,
    architecture: n.architecture,
    os: n.os,
    config: settings,
    rootfs: { ...(raw['rootfs'] as Raw), diff_ids: diffIds },
    history: [...(n.history ?? []), ...appHistory.slice(oldHistory.length)],
  };
  for (const field of ['variant', 'os.version', 'os.features'] as const) {
    if (n[field] === undefined) delete next[field];
    else next[field] = n[field];
  }
  return {
    ok: true,
    value: { configBytes: Buffer.from(JSON.stringify(next)), diffIds, oldBaseLayerCount: oldLayers.length, warnings },
  };
}
