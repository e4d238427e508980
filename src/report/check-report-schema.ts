/**
 * zod schema of {@link CheckReport}, for reading a stored report back (state file) at the edge.
 * The compile-time checks at the bottom keep schema and interfaces in step.
 */
import { z } from 'zod';
import type { CheckReport } from './check-report.js';

const Digest = z.string();

const BaseNotesShape = {
  newer: z.array(z.object({ tag: z.string(), kind: z.enum(['patch', 'minor', 'major']) })).nullable(),
  newerReason: z.string().nullable(),
  eol: z
    .object({
      product: z.string(),
      label: z.string(),
      cycle: z.string(),
      eol: z.string().nullable(),
      status: z.enum(['past', 'soon', 'ok']),
      successor: z.string().nullable(),
      via: z.enum(['image', 'os']),
      message: z.string(),
    })
    .nullable(),
};

export const ImageBaseReportSchema = z.object({
  ref: z.string(),
  digest: Digest.nullable(),
  via: z.enum(['label', 'buildpacks', 'layers', 'compose', 'recorded']),
  latest: Digest.nullable(),
  localId: z.string().nullable(),
  // Optional: reports of older versions have neither.
  pinned: Digest.nullable().optional(),
  candidates: z
    .array(z.object({ ref: z.string(), latest: Digest.nullable(), status: z.enum(['current', 'outdated', 'unknown', 'error']), reason: z.string() }))
    .optional(),
  ...BaseNotesShape,
});

export const ImageReportSchema = z.object({
  name: z.string(),
  tags: z.array(z.string()),
  id: z.string(),
  platform: z.string(),
  base: ImageBaseReportSchema.nullable(),
  source: z
    .object({
      dockerfile: z.string().nullable(),
      context: z.string().nullable(),
      target: z.string().nullable(),
      compose: z.string().nullable(),
      service: z.string().nullable(),
      args: z.record(z.string(), z.string()),
    })
    .nullable(),
  // Optional: reports of older versions (and daemons) have none.
  suggestedLink: z.object({ dockerfile: z.string(), context: z.string(), shown: z.string(), command: z.string() }).optional(),
  status: z.enum(['current', 'outdated', 'unlinked', 'unknown', 'error']),
  reason: z.string(),
  checkedAt: z.string().nullable(),
});

const FileErrorSchema = z.object({ line: z.number().nullable(), message: z.string() });

export const DockerfileReportSchema = z.object({
  path: z.string(),
  bases: z.array(
    z.object({
      ref: z.string(),
      kind: z.enum(['from', 'copy-from', 'mount-from']),
      line: z.number(),
      stage: z.string().nullable(),
      final: z.boolean(),
      pinned: Digest.nullable(),
      platform: z.string().nullable(),
      local: Digest.nullable(),
      latest: Digest.nullable(),
      status: z.enum(['current', 'outdated', 'unknown', 'error']),
      reason: z.string(),
      checkedAt: z.string().nullable(),
      ...BaseNotesShape,
    }),
  ),
  errors: z.array(FileErrorSchema),
  usedBy: z.array(z.string()),
});

export const CheckReportSchema = z.object({
  engine: z
    .object({ host: z.string(), source: z.string(), apiVersion: z.string(), serverVersion: z.string() })
    .nullable(),
  offline: z.boolean(),
  roots: z.array(z.string()),
  images: z.array(ImageReportSchema),
  dockerfiles: z.array(DockerfileReportSchema),
  compose: z.array(
    z.object({
      path: z.string(),
      project: z.string(),
      services: z.array(
        z.object({
          name: z.string(),
          image: z.string().nullable(),
          dockerfile: z.string().nullable(),
          context: z.string().nullable(),
          target: z.string().nullable(),
          args: z.record(z.string(), z.string()),
        }),
      ),
      errors: z.array(FileErrorSchema),
    }),
  ),
  registries: z.array(
    z.object({
      registry: z.string(),
      limit: z.number(),
      remaining: z.number(),
      windowSeconds: z.number().nullable(),
      seenAt: z.string(),
    }),
  ),
  errors: z.array(z.object({ where: z.string(), message: z.string() })),
});

// A parsed report must be a CheckReport: this fails to compile when a field is added to the
// interfaces but not here (or typed differently).
type Parsed = z.infer<typeof CheckReportSchema>;
export const asCheckReport = (value: Parsed): CheckReport => value;
