/**
 * The slice of the Compose file model basewatch reads, checked once after YAML parsing and
 * interpolation. Only the keys we use are declared; everything else (ports, volumes, `x-`
 * extensions, …) passes through unchecked because Compose, not basewatch, owns it.
 */
import { z } from 'zod';

export const ComposeFileSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }).optional(),
  // `services:` with nothing under it is YAML null: an empty project, not an error.
  services: z.record(z.string(), z.unknown(), { error: 'must be a mapping of service names to services' })
    .nullable()
    .optional(),
}, { error: 'the compose file must be a mapping at the top level' });
export type ComposeFile = z.infer<typeof ComposeFileSchema>;

const BuildArgValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const ComposeBuildSpecSchema = z.looseObject({
  context: z.string({ error: 'must be a string' }).optional(),
  dockerfile: z.string({ error: 'must be a string' }).optional(),
  dockerfile_inline: z.string({ error: 'must be a string' }).optional(),
  args: z
    .union([z.record(z.string(), BuildArgValueSchema), z.array(z.string())], {
      error: 'must be a mapping of scalars or a list of KEY=VALUE strings',
    })
    .optional(),
  target: z.string({ error: 'must be a string' }).optional(),
});
export type ComposeBuildSpec = z.infer<typeof ComposeBuildSpecSchema>;

export const ComposeServiceSpecSchema = z.looseObject({
  image: z.string({ error: 'must be a string' }).optional(),
  // A string is the context. Checked by hand, not with z.union, because a union reports
  // only "invalid input" and we want to name the bad key inside the build mapping.
  build: z.unknown().optional(),
  extends: z.unknown().optional(),
});
export type ComposeServiceSpec = z.infer<typeof ComposeServiceSpecSchema>;

/** `build.args.FOO: must be a string` style text for one zod issue. */
export function describeIssue(prefix: readonly (string | number)[], issue: z.core.$ZodIssue): string {
  const path = [...prefix, ...issue.path.map((p) => String(p))].join('.');
  return path === '' ? issue.message : `${path} ${issue.message}`;
}
