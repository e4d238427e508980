import path from 'node:path';

/** Pure: whether `file` is `folder` itself or lies below it (lexically, no symlinks followed). */
export function isWithin(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
