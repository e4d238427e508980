// tar-fs 2 (the version dockerode also uses, so one copy is installed) ships no types; this declares the part build-context.ts uses.
declare module 'tar-fs' {
  import type { Stats } from 'node:fs';
  import type { Readable } from 'node:stream';

  interface TarHeader {
    name: string;
    mode?: number;
    mtime?: Date;
    size?: number;
    type?: 'file' | 'directory' | 'symlink' | 'link' | string;
    linkname?: string | null;
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
  }

  /** tar-stream's pack: a readable tar to which entries can still be added until finalize(). */
  interface TarPack extends Readable {
    entry(header: TarHeader, content: Buffer | string, callback?: (error?: Error | null) => void): unknown;
    finalize(): void;
  }

  interface PackOptions {
    entries?: string[];
    ignore?: (name: string) => boolean;
    map?: (header: TarHeader) => TarHeader;
    dereference?: boolean;
    finalize?: boolean;
    finish?: (pack: TarPack) => void;
    sort?: boolean;
    umask?: number;
    fs?: unknown;
    stat?: Stats;
  }

  export function pack(cwd: string, options?: PackOptions): TarPack;
}
