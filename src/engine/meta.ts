// The catalogue of databases and retention policies, persisted as `meta.json` in the data
// dir. Small and rarely written, so it is rewritten whole and published atomically
// (write a temporary file, fsync it, rename, fsync the directory).

import fs from 'node:fs';
import path from 'node:path';
import { badRequest } from '../errors.js';
import type { FsyncMode } from '../types.js';
import { fsyncDirSync } from '../fsutil.js';

export interface RetentionPolicyMeta {
  /** Duration in ns as a decimal string; "0" keeps data forever. */
  duration: string;
  /** Time span of each shard, ns as a decimal string; when absent it follows InfluxDB's
   * default for the duration (see shardDurationFor in storage.ts). */
  shardDuration?: string;
}

export interface DatabaseMeta {
  defaultRp: string;
  rps: Record<string, RetentionPolicyMeta>;
  /** Default durability of writes to this database (server default when absent). */
  fsync?: FsyncMode;
}

export interface MetaFile {
  version: 1;
  databases: Record<string, DatabaseMeta>;
  /** The databases in creation order (SHOW DATABASES lists them so, as InfluxDB does). A JS
   * object puts integer-like keys ("2024") first whatever the insertion order, so the order
   * is kept here. Absent in files of older versions, which read it as nothing: names()
   * then falls back to the keys' order, and puts any database missing here last. */
  order?: string[];
}

export const DEFAULT_RP = 'autogen';

export function validateName(kind: 'database' | 'retention policy', name: string): void {
  // InfluxDB forbids little; we forbid what would break paths, keys or logs.
  if (name.length === 0) throw badRequest('STRATA_ERR_INVALID_NAME', `${kind} name is empty`);
  if (Buffer.byteLength(name) > 255) throw badRequest('STRATA_ERR_INVALID_NAME', `${kind} name is longer than 255 bytes`);
  if (name === '.' || name === '..' || /[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw badRequest('STRATA_ERR_INVALID_NAME', `${kind} name "${name}" contains a control character, a slash or a backslash`);
  }
}

export class Meta {
  private readonly file: string;
  data: MetaFile;

  private constructor(file: string, data: MetaFile) {
    this.file = file;
    this.data = data;
  }

  static load(dataDir: string): Meta {
    const file = path.join(dataDir, 'meta.json');
    removeStaleTemp(file);
    let data: MetaFile = { version: 1, databases: {} };
    if (fs.existsSync(file)) data = JSON.parse(fs.readFileSync(file, 'utf8')) as MetaFile;
    return new Meta(file, data);
  }

  has(db: string): boolean {
    return Object.hasOwn(this.data.databases, db);
  }

  get(db: string): DatabaseMeta | undefined {
    return this.has(db) ? this.data.databases[db] : undefined;
  }

  /** The databases in creation order (a dropped and re-created one goes last). */
  names(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const name of Array.isArray(this.data.order) ? this.data.order : []) {
      if (typeof name === 'string' && this.has(name) && !seen.has(name)) {
        seen.add(name);
        out.push(name);
      }
    }
    for (const name of Object.keys(this.data.databases)) {
      if (!seen.has(name)) {
        seen.add(name);
        out.push(name);
      }
    }
    return out;
  }

  /** Creates the database (idempotent) and persists the catalogue. */
  create(db: string, opts: { fsync?: FsyncMode } = {}): DatabaseMeta {
    validateName('database', db);
    const existing = this.get(db);
    if (existing && opts.fsync === undefined) return existing;
    const meta: DatabaseMeta = existing ?? { defaultRp: DEFAULT_RP, rps: { [DEFAULT_RP]: { duration: '0' } } };
    if (opts.fsync !== undefined) meta.fsync = opts.fsync;
    if (!existing) this.data.order = [...this.names().filter((n) => n !== db), db];
    this.data.databases[db] = meta;
    this.save();
    return meta;
  }

  /** Sets (creating if needed) a retention policy's duration and optionally its shard
   * duration, ns as decimal strings ("0": forever). */
  setRetention(db: string, rp: string, duration: string, shardDuration?: string): RetentionPolicyMeta {
    const meta = this.get(db);
    if (!meta) throw new Error(`database "${db}" is not in the catalogue`);
    validateName('retention policy', rp);
    const policy: RetentionPolicyMeta = { ...(Object.hasOwn(meta.rps, rp) ? meta.rps[rp] : {}), duration };
    if (shardDuration !== undefined) policy.shardDuration = shardDuration;
    meta.rps[rp] = policy;
    this.save();
    return policy;
  }

  /** Makes `rp` (which must exist) the default retention policy of `db`. */
  setDefaultRp(db: string, rp: string): void {
    const meta = this.get(db);
    if (!meta || !Object.hasOwn(meta.rps, rp)) throw new Error(`retention policy "${rp}" of database "${db}" is not in the catalogue`);
    meta.defaultRp = rp;
    this.save();
  }

  /** Removes a retention policy; when it was the default, the database has none ("")
   * until one is set, and writes that name no policy are refused (as in InfluxDB). */
  dropRp(db: string, rp: string): void {
    const meta = this.get(db);
    if (!meta || !Object.hasOwn(meta.rps, rp)) return;
    delete meta.rps[rp];
    if (meta.defaultRp === rp) meta.defaultRp = '';
    this.save();
  }

  drop(db: string): void {
    if (!this.has(db)) return;
    this.data.order = this.names().filter((n) => n !== db);
    delete this.data.databases[db];
    this.save();
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }
}

/**
 * Replaces `file` atomically: `<file>.tmp` is written and fsynced, renamed over `file`, and
 * the directory fsynced. One process owns a data dir (the LOCK file), so the temporary
 * name is fixed: a leftover of a crash is overwritten next time, and removeStaleTemp()
 * deletes it at open.
 */
export function writeFileAtomic(file: string, contents: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDirSync(path.dirname(file));
}

/** Deletes the temporary file a crash in writeFileAtomic(file) may have left (also the
 * `<file>.tmp-PID` names older versions used). */
export function removeStaleTemp(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) {
    if (f === `${base}.tmp` || (f.startsWith(`${base}.tmp-`) && /^\d+$/.test(f.slice(base.length + 5)))) fs.rmSync(path.join(dir, f), { force: true });
  }
}
