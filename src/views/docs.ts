// Document view: JSON documents kept as tag-keyed series with full history (docs/views.md).
//
// Storage mapping: database `_doc` (configurable), measurement = collection, tag `_id`,
// plus one tag per declared indexed field (tag key = the dotted path, tag value = the
// field's scalar value as text, or an array's scalar elements joined by tabs); fields `doc` (string: the document as JSON, without
// `_id`) and `deleted` (bool: a tombstone). One point per version; the version is the
// point's timestamp in ns, strictly increasing per document. Because indexed values are
// tags, a document whose indexed value changes continues in a new series with the same
// `_id`: reads merge every series of an id by time. Index declarations are stored in the
// measurement `_indexes` (tag `collection`, field `fields`: a JSON array), also with history.
//
// Filters: an indexed field uses the roaring postings to find candidate ids; every
// candidate is then checked against its latest version (an old series may carry an old
// value). A filter on a field that is not indexed reads every document (a scan: slower).

import { randomBytes } from 'node:crypto';
import type { Database } from '../engine/database.js';
import { badRequest, StrataError } from '../errors.js';
import { compareUtf8, nameProblem } from '../ingest/seriesKey.js';
import { formatTimeNs } from '../query/influxql/print.js';
import type { TagMatcher } from '../types.js';
import {
  badName,
  checkCollectionName,
  checkKeyName,
  escapeRegex,
  DEFAULT_LATEST_CACHE_SIZE,
  KeyedLock,
  LatestVersions,
  nextVersion,
  parseJson,
  preconditionFailed,
  readLatestRow,
  readRows,
  systemClock,
  writePoint,
  type Clock,
  type Row,
} from './kv.js';

export const DEFAULT_DOC_DATABASE = '_doc';
export const INDEXES_MEASUREMENT = '_indexes';
export const DEFAULT_FIND_LIMIT = 100;
export const MAX_FIND_LIMIT = 10_000;
export const MAX_INDEXED_FIELDS = 32;

export type JsonObject = { [k: string]: unknown };

export interface DocOptions {
  db: Database;
  /** Database holding the collections (default `_doc`). */
  database?: string;
  /** Clock for versions and generated ids, ns since the epoch (default: the system clock). */
  now?: Clock;
  /** Bound of the latest-version cache, in documents (default 100,000; 0 disables it). */
  latestCacheSize?: number;
}

export interface DocVersion {
  collection: string;
  id: string;
  version: bigint;
  deleted: boolean;
  /** The document without `_id` (null for a deletion). */
  doc: JsonObject | null;
}

export interface DocWriteOptions {
  /** The current version must be one of these (`*`: the document must exist). */
  ifMatch?: string[] | '*';
  /** `*`: the document must not exist. */
  ifNoneMatch?: string[] | '*';
}

export interface DocFilter {
  /** Dotted path (`user.address.city`). */
  path: string;
  /** Compared with the field's scalar value as text (strings as-is, numbers and booleans
   * as JSON), or with each scalar element of an array. */
  value: string;
}

export interface FindOptions {
  where?: DocFilter[];
  limit?: number;
  /** Only ids after this one (the paging cursor: the last id of the previous page). */
  after?: string;
  at?: bigint;
}

export interface FindResult {
  documents: DocVersion[];
  /** The cursor for the next page, or null when this page is the last. */
  next: string | null;
  /** Whether the postings index chose the candidates (false: a scan). */
  indexed: boolean;
}

const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** A dotted field path: segments of letters, digits, `_ $ -`; not `_id` or `time`. */
export function checkFieldPath(path: string, what = 'field'): void {
  if (typeof path !== 'string' || !PATH.test(path) || path.length > 256) {
    throw badName(`${what} ${JSON.stringify(path)} is not a field path: use names of letters, digits, "_", "$" and "-" joined by "." (user.address.city)`);
  }
  if (path === '_id' || path === 'time') throw badName(`${what} "${path}" is reserved`);
}

/** The value at a dotted path, or undefined. */
export function getPath(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as JsonObject)[seg];
  }
  return v;
}

/** A scalar's text for indexing and filtering; undefined for objects, arrays, null and absent. */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  return undefined;
}

/** Whether a field value matches a filter: a scalar whose text is `want`, or an array
 * holding such a scalar. */
export function matches(v: unknown, want: string): boolean {
  if (Array.isArray(v)) return v.some((e) => scalarText(e) === want);
  return scalarText(v) === want;
}

/** The tag value of an indexed field: a scalar's text, or an array's scalar elements
 * joined by tabs (a filter matches one element with a regex over the tag values). */
export function indexText(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    const parts = v.map(scalarText).filter((t): t is string => t !== undefined && t !== '');
    return parts.length > 0 ? parts.join('\t') : undefined;
  }
  return scalarText(v);
}

/** Whether a text can be a tag value (non-empty, nothing line protocol cannot carry). */
function taggable(s: string): boolean {
  return s.length > 0 && s.length <= 1024 && nameProblem('tag value', s) === '';
}

function setOwn(o: JsonObject, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: JsonObject = {};
  if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
    for (const [k, v] of Object.entries(target)) setOwn(out, k, v);
  }
  for (const [k, v] of Object.entries(patch as JsonObject)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/** A parsed body that must be a JSON object. */
export function asObject(v: unknown, what = 'body'): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest('STRATA_ERR_BAD_JSON', `${what} must be a JSON object ({...}), got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  return v as JsonObject;
}

export function docNotFound(collection: string, id: string, at?: bigint): StrataError {
  const when = at !== undefined ? ` at ${formatTimeNs(at)}` : '';
  return new StrataError('STRATA_ERR_DOC_NOT_FOUND', 404, `document "${id}" not found in collection "${collection}"${when} (never written or deleted)`);
}

export class DocStore {
  readonly db: Database;
  readonly database: string;
  private readonly now: Clock;
  private readonly lock = new KeyedLock();
  private readonly indexCache = new Map<string, string[]>();
  private lastId = 0n;
  /** collection NUL id -> the newest version known (a hint; see readLatestRow). */
  private readonly versions: LatestVersions;

  constructor(opts: DocOptions) {
    this.db = opts.db;
    this.database = opts.database ?? DEFAULT_DOC_DATABASE;
    this.now = opts.now ?? systemClock;
    this.versions = new LatestVersions(opts.latestCacheSize ?? DEFAULT_LATEST_CACHE_SIZE);
  }

  /** A new id: 16 hex digits of the clock (ns, strictly increasing) and 8 random ones, so
   * ids sort by creation time. */
  newId(): string {
    this.lastId = nextVersion(this.now(), this.lastId);
    return this.lastId.toString(16).padStart(16, '0') + randomBytes(4).toString('hex');
  }

  /** The indexed fields of a collection (declared with setIndexes). */
  indexes(collection: string): string[] {
    checkCollectionName('collection', collection);
    const cached = this.indexCache.get(collection);
    if (cached) return cached;
    const rows = readRows(this.db, this.database, INDEXES_MEASUREMENT, [{ key: 'collection', op: '=', value: collection }], 'collection').get(collection);
    const last = rows?.[rows.length - 1]?.fields.fields;
    const fields = typeof last === 'string' ? (JSON.parse(last) as string[]) : [];
    this.indexCache.set(collection, fields);
    return fields;
  }

  /**
   * Declares the indexed fields of a collection, then reindexes: every live document whose
   * tags differ is written again (same content, a new version) so filters find it.
   * Answers how many documents were reindexed.
   */
  async setIndexes(collection: string, fields: string[]): Promise<{ fields: string[]; reindexed: number }> {
    checkCollectionName('collection', collection);
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string')) {
      throw badRequest('STRATA_ERR_BAD_JSON', 'body must be {"fields": ["field", "nested.field", ...]}: fields must be an array of strings');
    }
    if (fields.length > MAX_INDEXED_FIELDS) throw badRequest('STRATA_ERR_BAD_PARAMETER', `fields: at most ${MAX_INDEXED_FIELDS} indexed fields per collection`);
    for (const f of fields) checkFieldPath(f, 'indexed field');
    const list = [...new Set(fields)].sort(compareUtf8);
    return this.lock.run(`\u0000indexes\u0000${collection}`, async () => {
      await writePoint(this.db, this.database, {
        measurement: INDEXES_MEASUREMENT,
        tags: { collection },
        fields: { fields: { type: 'string', value: JSON.stringify(list) } },
        time: nextVersion(this.now(), this.indexTime(collection)),
      });
      this.indexCache.set(collection, list);
      let reindexed = 0;
      for (const id of this.allIds(collection)) {
        const done = await this.lock.run(`${collection}\u0000${id}`, async () => {
          const cur = this.latest(collection, id);
          if (!cur || cur.deleted || !cur.doc) return false;
          const want = this.tagsOf(collection, id, cur.doc);
          if (sameTags(want, cur.tags)) return false;
          await this.store(collection, id, cur.doc, false, cur.version);
          return true;
        });
        if (done) reindexed++;
      }
      return { fields: list, reindexed };
    });
  }

  /** The live document now or as of `at`; null when absent or deleted. */
  get(collection: string, id: string, at?: bigint): DocVersion | null {
    checkCollectionName('collection', collection);
    checkKeyName('id', id);
    const v = this.latest(collection, id, at);
    return v && !v.deleted ? strip(v) : null;
  }

  /** Every version of a document, oldest first, deletions included. */
  history(collection: string, id: string): DocVersion[] {
    checkCollectionName('collection', collection);
    checkKeyName('id', id);
    const rows = readRows(this.db, this.database, collection, [{ key: '_id', op: '=', value: id }], '_id').get(id) ?? [];
    return rows.map((r) => strip(toVersion(collection, id, r)));
  }

  /** Creates a document (409 when the id is live). The id: `id`, else the body's `_id`, else generated. */
  async create(collection: string, body: JsonObject, id?: string): Promise<DocVersion> {
    checkCollectionName('collection', collection);
    const doc = withoutId(body);
    const given = id ?? (body._id !== undefined ? idOf(body._id) : undefined);
    const theId = given ?? this.newId();
    checkDocId(theId);
    return this.change(collection, theId, {}, () => doc, 'create');
  }

  /** Replaces (or creates) a document. */
  async put(collection: string, id: string, body: JsonObject, opts: DocWriteOptions = {}): Promise<DocVersion> {
    checkCollectionName('collection', collection);
    checkDocId(id);
    checkBodyId(body, id);
    const doc = withoutId(body);
    return this.change(collection, id, opts, () => doc, 'put');
  }

  /** Applies a JSON merge patch (RFC 7386) to the live document; 404 when absent. */
  async patch(collection: string, id: string, patch: unknown, opts: DocWriteOptions = {}): Promise<DocVersion> {
    checkCollectionName('collection', collection);
    checkKeyName('id', id);
    if (patch !== null && typeof patch === 'object' && !Array.isArray(patch)) checkBodyId(patch as JsonObject, id);
    return this.change(collection, id, opts, (cur) => {
      const merged = mergePatch(cur, patch);
      return withoutId(asObject(merged, 'the patched document'));
    }, 'patch');
  }

  /** Writes a tombstone (history kept); 404 when absent. */
  async delete(collection: string, id: string, opts: DocWriteOptions = {}): Promise<DocVersion> {
    checkCollectionName('collection', collection);
    checkKeyName('id', id);
    return this.change(collection, id, { ifMatch: opts.ifMatch }, () => null, 'delete');
  }

  /** Live documents matching every filter, by id, from after `after`, at most `limit`. */
  find(collection: string, opts: FindOptions = {}): FindResult {
    checkCollectionName('collection', collection);
    const where = opts.where ?? [];
    for (const f of where) checkFieldPath(f.path, 'where field');
    const limit = opts.limit ?? DEFAULT_FIND_LIMIT;
    const indexed = new Set(this.indexes(collection));
    // The postings give a superset (an old series may carry an old value); every candidate
    // is checked against its latest version below.
    const matchers: TagMatcher[] = where
      .filter((f) => indexed.has(f.path) && taggable(f.value))
      .map((f) => ({ key: f.path, op: '=~', value: `(?:.*\t)?${escapeRegex(f.value)}(?:\t.*)?` }));
    let ids: string[];
    if (matchers.length > 0) {
      ids = this.db.hasDatabase(this.database) ? [...new Set(this.db.series(this.database, collection, matchers).map((s) => s.tags._id).filter((x): x is string => x !== undefined))] : [];
    } else {
      ids = this.allIds(collection);
    }
    ids.sort(compareUtf8);
    const out: DocVersion[] = [];
    for (const id of ids) {
      if (opts.after !== undefined && compareUtf8(id, opts.after) <= 0) continue;
      const v = this.latest(collection, id, opts.at);
      if (!v || v.deleted || !v.doc) continue;
      if (!where.every((f) => matches(getPath(v.doc, f.path), f.value))) continue;
      if (out.length === limit) return { documents: out, next: out[out.length - 1].id, indexed: matchers.length > 0 };
      out.push(strip(v));
    }
    return { documents: out, next: null, indexed: matchers.length > 0 };
  }

  // ---- internals --------------------------------------------------------------------

  private allIds(collection: string): string[] {
    if (!this.db.hasDatabase(this.database)) return [];
    return this.db.tagValues(this.database, collection, '_id');
  }

  private indexTime(collection: string): bigint | undefined {
    const rows = readRows(this.db, this.database, INDEXES_MEASUREMENT, [{ key: 'collection', op: '=', value: collection }], 'collection').get(collection);
    return rows?.[rows.length - 1]?.time;
  }

  private latest(collection: string, id: string, at?: bigint): (DocVersion & { tags: Record<string, string> }) | null {
    // `_id = id` matches every series of the document (one per set of indexed values), so
    // the ranged read from the known version on still sees a move to a new series.
    const r = readLatestRow(this.db, this.database, collection, [{ key: '_id', op: '=', value: id }], '_id', id, this.versions, `${collection}\u0000${id}`, at);
    if (!r) return null;
    return { ...toVersion(collection, id, r), tags: r.tags };
  }

  private tagsOf(collection: string, id: string, doc: JsonObject): Record<string, string> {
    const tags: Record<string, string> = { _id: id };
    for (const path of this.indexes(collection)) {
      const t = indexText(getPath(doc, path));
      if (t !== undefined && taggable(t)) tags[path] = t;
    }
    return tags;
  }

  private async store(collection: string, id: string, doc: JsonObject | null, deleted: boolean, last: bigint | undefined): Promise<DocVersion> {
    const version = nextVersion(this.now(), last);
    const tags = doc ? this.tagsOf(collection, id, doc) : { _id: id };
    await writePoint(this.db, this.database, {
      measurement: collection,
      tags,
      fields: {
        doc: { type: 'string', value: doc ? JSON.stringify(doc) : '' },
        deleted: { type: 'boolean', value: deleted },
      },
      time: version,
    });
    this.versions.set(`${collection}\u0000${id}`, version);
    return { collection, id, version, deleted, doc };
  }

  private change(
    collection: string,
    id: string,
    opts: DocWriteOptions,
    make: (current: JsonObject | null) => JsonObject | null,
    op: 'create' | 'put' | 'patch' | 'delete',
  ): Promise<DocVersion> {
    return this.lock.run(`${collection}\u0000${id}`, async () => {
      const last = this.latest(collection, id);
      const current = last && !last.deleted ? last : null;
      if (op === 'create' && current) {
        throw new StrataError('STRATA_ERR_DOC_EXISTS', 409, `document "${id}" already exists in collection "${collection}": use PUT /doc/${collection}/${id} to replace it`);
      }
      if ((op === 'patch' || op === 'delete') && !current) throw docNotFound(collection, id);
      if (opts.ifMatch !== undefined && !(current && (opts.ifMatch === '*' || opts.ifMatch.includes(String(current.version))))) {
        const at = current ? `is at version ${current.version}` : 'does not exist';
        throw preconditionFailed(`If-Match failed: document "${id}" in collection "${collection}" ${at}, not ${opts.ifMatch === '*' ? 'any version' : opts.ifMatch.join(', ')}; read it again and retry`);
      }
      if (opts.ifNoneMatch !== undefined && current && (opts.ifNoneMatch === '*' || opts.ifNoneMatch.includes(String(current.version)))) {
        throw preconditionFailed(`If-None-Match failed: document "${id}" already exists in collection "${collection}" (version ${current.version})`);
      }
      const doc = make(current?.doc ?? null);
      return this.store(collection, id, doc, op === 'delete', last?.version);
    });
  }
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** A document id: a key name that is not the reserved `_indexes`. */
export function checkDocId(id: string): void {
  checkKeyName('id', id);
  if (id === '_indexes') throw badName('id "_indexes" is reserved (PUT /doc/:collection/_indexes declares indexes)');
}

function idOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  throw badRequest('STRATA_ERR_BAD_VIEW_NAME', `_id must be a string, got ${JSON.stringify(v)}`);
}

function checkBodyId(body: JsonObject, id: string): void {
  if (body._id !== undefined && idOf(body._id) !== id) {
    throw badRequest('STRATA_ERR_BAD_VIEW_NAME', `the body's _id ${JSON.stringify(body._id)} differs from the id in the path "${id}"; ids cannot change`);
  }
}

function withoutId(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(body)) if (k !== '_id') setOwn(out, k, v);
  return out;
}

function toVersion(collection: string, id: string, r: Row): DocVersion {
  const deleted = r.fields.deleted === true;
  const text = r.fields.doc;
  const doc = !deleted && typeof text === 'string' && text !== '' ? (parseJson(text, `stored document ${id}`) as JsonObject) : null;
  return { collection, id, version: r.time, deleted, doc };
}

function strip(v: DocVersion & { tags?: Record<string, string> }): DocVersion {
  return { collection: v.collection, id: v.id, version: v.version, deleted: v.deleted, doc: v.doc };
}

/** A document as JSON with `_id` first. */
export function docJson(v: DocVersion): string {
  const body = JSON.stringify(v.doc ?? {});
  return `{"_id":${JSON.stringify(v.id)}${body === '{}' ? '' : ',' + body.slice(1, -1)}}`;
}

/** A version for history: `{"version", "time", "deleted", "doc"}`. */
export function versionJson(v: DocVersion): string {
  return `{"version":"${v.version}","time":"${formatTimeNs(v.version)}","deleted":${v.deleted},"doc":${v.deleted ? 'null' : docJson(v)}}`;
}
