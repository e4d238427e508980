/**
 * An in-memory model of a merged image filesystem (paths and types only, never contents), built
 * by applying layer scans the way the engine's overlay does: a layer's whiteouts and opaque
 * folders hide what lower layers put there, then its entries are laid on top. The seam check
 * uses it to know which paths the old base really has.
 */
import type { LayerEntry, LayerEntryType, LayerScan } from '../../archive/layer-scan.js';

export interface FsNode {
  type: LayerEntryType;
  mode: number;
  linkname: string | null;
  /** True for a folder no entry named, that exists because something was put below it. */
  implied: boolean;
  /** Non-null exactly for folders. */
  children: Map<string, FsNode> | null;
}

/** Linux gives up after 40 symlinks in one lookup (MAXSYMLINKS); a loop in an image must not hang us. */
const MAX_SYMLINK_HOPS = 40;

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function impliedDir(): FsNode {
  return { type: 'dir', mode: 0o755, linkname: null, implied: true, children: new Map() };
}

function cloneNode(node: FsNode): FsNode {
  const children = node.children === null ? null : new Map<string, FsNode>();
  if (node.children !== null && children !== null) {
    for (const [name, child] of node.children) children.set(name, cloneNode(child));
  }
  return { ...node, children };
}

/** Tar link names may be written "./x", "/x" or "x"; entries are normalised to "x". */
export function normaliseLinkTarget(linkname: string): string {
  return splitPath(linkname).join('/');
}

export class MergedTree {
  private readonly root: FsNode = impliedDir();

  clone(): MergedTree {
    const copy = new MergedTree();
    copy.root.children = cloneNode(this.root).children;
    return copy;
  }

  /** The node at exactly this path (no symlink followed anywhere), or undefined. */
  lookup(path: string): FsNode | undefined {
    return this.lookupParts(splitPath(path));
  }

  /**
   * Where an entry with this path really lands: every folder on the way is looked up and
   * symlinks among them are followed (relative targets from the link's folder, absolute ones
   * from the root, ".." stopping at the root), as extracting a tar with MkdirAll does. The last
   * component is not followed: a tar entry replaces a symlink, it does not write through it.
   */
  resolve(path: string): string {
    const pending = splitPath(path);
    const last = pending.pop();
    if (last === undefined) return '';
    const done: string[] = [];
    let node: FsNode | undefined = this.root;
    let hops = 0;
    for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
      if (part === '..') {
        done.pop();
        node = this.lookupParts(done);
        continue;
      }
      const child: FsNode | undefined = node?.children?.get(part);
      if (child?.type === 'symlink' && child.linkname !== null && hops < MAX_SYMLINK_HOPS) {
        hops += 1;
        if (child.linkname.startsWith('/')) done.length = 0;
        pending.unshift(...splitPath(child.linkname));
        node = this.lookupParts(done);
        continue;
      }
      done.push(part);
      node = child;
    }
    return [...done, last].join('/');
  }

  /**
   * Applies one layer. `visit` sees each entry with its resolved path just before the entry
   * changes the tree, so a caller can compare it against the tree as the layer found it.
   * Whiteouts go first: they only ever hide lower layers, never entries of their own layer.
   */
  applyLayer(layer: LayerScan, visit?: (entry: LayerEntry, resolved: string) => void): void {
    for (const entry of layer.entries) {
      if (entry.whiteout === null) continue;
      const resolved = this.resolve(entry.path);
      visit?.(entry, resolved);
      if (entry.whiteout === 'whiteout') this.remove(resolved);
      else this.empty(resolved);
    }
    for (const entry of layer.entries) {
      if (entry.whiteout !== null) continue;
      const resolved = this.resolve(entry.path);
      visit?.(entry, resolved);
      this.put(resolved, entry);
    }
  }

  private lookupParts(parts: readonly string[]): FsNode | undefined {
    let node: FsNode | undefined = this.root;
    for (const part of parts) {
      node = node?.children?.get(part);
      if (node === undefined) return undefined;
    }
    return node;
  }

  private put(path: string, entry: LayerEntry): void {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) return;
    const parent = this.ensureDir(parts);
    const existing = parent.get(name);
    if (entry.type === 'dir' && existing?.type === 'dir') {
      // A folder entry over a folder keeps what lower layers put inside it.
      existing.mode = entry.mode;
      existing.implied = false;
      return;
    }
    parent.set(name, {
      type: entry.type,
      mode: entry.mode,
      linkname: entry.linkname,
      implied: false,
      children: entry.type === 'dir' ? new Map() : null,
    });
  }

  private ensureDir(parts: readonly string[]): Map<string, FsNode> {
    let children = this.root.children ?? new Map<string, FsNode>();
    for (const part of parts) {
      let child = children.get(part);
      if (child?.children == null) {
        // Missing, or a non-folder in the way (a dangling or looping symlink): the extractor
        // would create the folder, so the model does too.
        child = impliedDir();
        children.set(part, child);
      }
      children = child.children ?? new Map<string, FsNode>();
    }
    return children;
  }

  private remove(path: string): void {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) return;
    this.lookupParts(parts)?.children?.delete(name);
  }

  private empty(path: string): void {
    const node = this.lookupParts(splitPath(path));
    if (node?.children != null) node.children = new Map();
  }
}

/** The merged filesystem of these layers, bottom first. */
export function mergeLayers(layers: readonly LayerScan[]): MergedTree {
  const tree = new MergedTree();
  for (const layer of layers) tree.applyLayer(layer);
  return tree;
}
