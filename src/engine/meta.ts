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
  /** Names of this policy's downsampling tiers (their own policies), finest first. */
  tiers?: string[];
  /** Set on a tier's own policy: the policy whose points it rolls up. */
  rollupOf?: string;
  /** A tier's window, ns as a decimal string. */
  resolution?: string;
  /** How long after a window ends late points still change a tier's rollup, ns. */
  grace?: string;
}

/** One downsampling tier as configured (ns). */
export interface TierSpec {
  resolution: bigint;
  /** 0n keeps the tier's rollups forever. */
  duration: bigint;
  /** Default DEFAULT_TIER_GRACE. */
  grace?: bigint;
}

/** A tier as the engine reports it. */
export interface TierInfo {
  /** The tier's own retention policy, `<rp>:<resolution>`. */
  name: string;
  resolution: bigint;
  duration: bigint;
  grace: bigint;
}

export const DEFAULT_TIER_GRACE = 3_600_000_000_000n;

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

/** The policy name of `rp`'s tier of this resolution, e.g. `autogen:1m`. */
export function tierName(rp: string, resolution: bigint): string {
  return `${rp}:${shortDuration(resolution)}`;
}

const UNITS: [bigint, string][] = [
  [604_800_000_000_000n, 'w'],
  [86_400_000_000_000n, 'd'],
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'm'],
  [1_000_000_000n, 's'],
  [1_000_000n, 'ms'],
  [1_000n, 'us'],
];

/** A positive duration in ns as InfluxQL writes it with the largest unit that divides it
 * (60s → "1m", 90s → "90s"). */
export function shortDuration(ns: bigint): string {
  for (const [n, u] of UNITS) if (ns % n === 0n) return `${ns / n}${u}`;
  return `${ns}ns`;
}

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
  /** data.databases by name: a Map, so code looking databases up by name (every query
   * does) is not compiled for the names it happened to see first. */
  private readonly byName: Map<string, DatabaseMeta>;

  private constructor(file: string, data: MetaFile) {
    this.file = file;
    this.data = data;
    this.byName = new Map(Object.entries(data.databases));
  }

  static load(dataDir: string): Meta {
    const file = path.join(dataDir, 'meta.json');
    removeStaleTemp(file);
    let data: MetaFile = { version: 1, databases: {} };
    if (fs.existsSync(file)) data = JSON.parse(fs.readFileSync(file, 'utf8')) as MetaFile;
    return new Meta(file, data);
  }

  has(db: string): boolean {
    return this.byName.has(db);
  }

  get(db: string): DatabaseMeta | undefined {
    return this.byName.get(db);
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
    this.byName.set(db, meta);
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

  /**
   * Replaces the downsampling tiers of `rp` (which must exist and not be a tier itself).
   * Each becomes a policy named `<rp>:<resolution>`; returns the names of tiers that were
   * dropped, whose data the caller removes. Validation is the caller's (Database.setTiers).
   */
  setTiers(db: string, rp: string, tiers: TierSpec[]): string[] {
    const meta = this.get(db);
    if (!meta || !Object.hasOwn(meta.rps, rp)) throw new Error(`retention policy "${rp}" of database "${db}" is not in the catalogue`);
    const parent = meta.rps[rp];
    const names = tiers.map((t) => tierName(rp, t.resolution));
    const removed = (parent.tiers ?? []).filter((n) => !names.includes(n));
    for (const n of removed) delete meta.rps[n];
    tiers.forEach((t, i) => {
      const prev = Object.hasOwn(meta.rps, names[i]) ? meta.rps[names[i]] : {};
      meta.rps[names[i]] = {
        ...prev,
        duration: t.duration.toString(),
        rollupOf: rp,
        resolution: t.resolution.toString(),
        grace: (t.grace ?? DEFAULT_TIER_GRACE).toString(),
      };
    });
    if (names.length > 0) parent.tiers = names;
    else delete parent.tiers;
    this.save();
    return removed;
  }

  /** The tiers of `rp`, finest first ([] when it has none). */
  tiersOf(db: string, rp: string): TierInfo[] {
    const meta = this.get(db);
    if (!meta || !Object.hasOwn(meta.rps, rp)) return [];
    const out: TierInfo[] = [];
    for (const name of meta.rps[rp].tiers ?? []) {
      const t = Object.hasOwn(meta.rps, name) ? meta.rps[name] : undefined;
      if (!t || t.resolution === undefined) continue;
      out.push({ name, resolution: BigInt(t.resolution), duration: BigInt(t.duration), grace: BigInt(t.grace ?? DEFAULT_TIER_GRACE.toString()) });
    }
    return out;
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
    const policy = meta.rps[rp];
    // A policy goes with its tiers; a tier leaves its parent's list.
    for (const t of policy.tiers ?? []) delete meta.rps[t];
    if (policy.rollupOf !== undefined && Object.hasOwn(meta.rps, policy.rollupOf)) {
      const parent = meta.rps[policy.rollupOf];
      parent.tiers = (parent.tiers ?? []).filter((n) => n !== rp);
      if (parent.tiers.length === 0) delete parent.tiers;
    }
    delete meta.rps[rp];
    if (meta.defaultRp === rp) meta.defaultRp = '';
    this.save();
  }

  drop(db: string): void {
    if (!this.has(db)) return;
    this.data.order = this.names().filter((n) => n !== db);
    delete this.data.databases[db];
    this.byName.delete(db);
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
