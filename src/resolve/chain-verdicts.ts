/**
 * Chains: a local image that is the base of other local images (upstream → company base → app).
 * Pure: from each image's own verdict to what it is through its chain.
 *
 * - A dependent whose base image is outdated is outdated *through* it ("waits on corp/base:1,
 *   which is behind python:3.12-slim"), even when the base's registry copy says nothing moved.
 * - A base built here and never pushed (no registry digest in its repository) says nothing about
 *   the registry copy under the same name, which may be older or not exist: the dependent is
 *   compared through the base's own chain instead, never with that registry copy, and never
 *   reported as a registry error of a name nobody pulls.
 */
import type { ImageReport } from '../report/check-report.js';

function shortRef(ref: string): string {
  return ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

/** The verdict of each image through its chain; images keep their order. */
export function verdictsThroughChains(reports: readonly ImageReport[]): ImageReport[] {
  const byId = new Map(reports.map((report) => [report.id, report]));
  const done = new Map<string, ImageReport>();
  const resolving = new Set<string>();

  const resolve = (report: ImageReport): ImageReport => {
    const cached = done.get(report.id);
    if (cached !== undefined) return cached;
    const localId = report.base?.localId ?? null;
    const parentReport = localId === null ? undefined : byId.get(localId);
    // A cycle cannot happen with layers (a base has fewer), but a label could claim one.
    if (report.base === null || parentReport === undefined || parentReport.base === null || resolving.has(report.id)) {
      done.set(report.id, report);
      return report;
    }
    resolving.add(report.id);
    const parent = resolve(parentReport);
    resolving.delete(report.id);
    const result = throughParent(report, parent);
    done.set(report.id, result);
    return result;
  };
  return reports.map(resolve);
}

function throughParent(report: ImageReport, parent: ImageReport): ImageReport {
  const base = report.base;
  const parentBase = parent.base;
  if (base === null || parentBase === null) return report;
  const waitsOn = `waits on ${parent.name}, which is behind ${shortRef(parentBase.ref)}`;
  const builtHere = base.digest === null;
  if (builtHere) {
    // Only the chain can tell: the registry's copy of that name is not what this was built on.
    const how = `on ${parent.name} as built here (never pushed: not compared with the registry's copy)`;
    const status = parent.status === 'outdated' ? 'outdated' : parent.status === 'current' ? 'current' : 'unknown';
    const reason =
      status === 'outdated' ? `${waitsOn} (${parent.name} was built here and not pushed)` : status === 'current' ? `${how}, which is current with ${shortRef(parentBase.ref)}` : `${how}, whose own base is ${parent.status}: ${parent.reason}`;
    return { ...report, base: { ...base, latest: null, waitsOn: parent.name }, status, reason };
  }
  if (parent.status === 'outdated' && report.status !== 'outdated') {
    return { ...report, base: { ...base, waitsOn: parent.name }, status: 'outdated', reason: waitsOn };
  }
  return report;
}
