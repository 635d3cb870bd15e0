import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StrataError } from '../errors.js';
import { SEGMENT_HEADER_SIZE, segmentName } from './format.js';
import { nodeIo } from './io.js';
import { openCollect, payload, removeTmpDirs, replay, tmpDir } from './testing/helpers.js';
import { Wal } from './wal.js';

afterEach(removeTmpDirs);

const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe('Wal', () => {
  it('round-trips many records across segment rolls and reopens', async () => {
    const dir = join(tmpDir(), 'nested', 'wal'); // created if missing
    const { wal, recs } = await openCollect({ dir, segmentSize: 4096 });
    expect(recs).toEqual([]);
    expect(wal.segmentIds).toEqual([1]);
    const want: { type: number; payload: Buffer }[] = [];
    for (let i = 0; i < 300; i++) {
      const p = payload(i, (i * 37) % 700);
      const type = 1 + (i % 255);
      if (i % 3 === 0) wal.append(type, [p.subarray(0, 5), p.subarray(5)]); // gathered parts
      else wal.append(type, p);
      want.push({ type, payload: p });
    }
    await wal.sync('always');
    expect(wal.segmentIds.length).toBeGreaterThan(10);
    expect(wal.currentSegment).toBe(wal.segmentIds.at(-1));
    expect(wal.bytesWritten).toBe(want.reduce((n, r) => n + 9 + r.payload.length, 0));
    for (const id of wal.segmentIds) expect(statSync(join(dir, segmentName(id))).size).toBeLessThanOrEqual(4096);
    await wal.close();

    const { wal: again, recs: got } = await openCollect({ dir, segmentSize: 4096 });
    expect(got.map((r) => ({ type: r.type, payload: r.payload }))).toEqual(want);
    expect(got[0]).toMatchObject({ segment: 1, offset: SEGMENT_HEADER_SIZE });
    const ids = again.segmentIds;
    // Appending continues in the last segment after reopening.
    again.append(7, Buffer.from('after'));
    await again.close();
    const all = await replay({ dir, segmentSize: 4096 });
    expect(all).toHaveLength(301);
    expect(all.at(-1)).toMatchObject({ type: 7, payload: Buffer.from('after'), segment: ids.at(-1) });
  });

  it('writes a record larger than a segment into a segment of its own', async () => {
    const dir = tmpDir();
    const { wal } = await openCollect({ dir, segmentSize: 100 });
    wal.append(1, payload(1, 10));
    wal.append(1, payload(2, 1000));
    wal.append(1, payload(3, 10));
    expect(wal.segmentIds).toEqual([1, 2, 3]);
    await wal.close();
    expect((await replay({ dir })).map((r) => r.payload.length)).toEqual([10, 1000, 10]);
  });

  it('accepts empty payloads and rejects bad record types', async () => {
    const { wal } = await openCollect({ dir: tmpDir() });
    wal.append(255, Buffer.alloc(0));
    for (const t of [0, 256, 1.5, -1]) expect(() => wal.append(t, Buffer.alloc(1))).toThrow(RangeError);
    await wal.close();
  });

  it('rollSegment returns the new id and removeSegmentsBefore deletes older ones, never the current', async () => {
    const dir = tmpDir();
    const { wal } = await openCollect({ dir });
    wal.append(1, Buffer.from('a'));
    expect(wal.rollSegment()).toBe(2);
    wal.append(1, Buffer.from('b'));
    expect(wal.rollSegment()).toBe(3);
    wal.append(1, Buffer.from('c'));
    await wal.removeSegmentsBefore(3);
    expect(wal.segmentIds).toEqual([3]);
    expect(readdirSync(dir).sort()).toEqual([segmentName(3)]);
    await wal.removeSegmentsBefore(100); // the current segment stays
    expect(wal.segmentIds).toEqual([3]);
    wal.append(1, Buffer.from('d'));
    await wal.close();
    expect((await replay({ dir })).map((r) => r.payload.toString())).toEqual(['c', 'd']);
  });

  it('throws STRATA_ERR_CLOSED on append after close; close is idempotent and fsyncs', async () => {
    const { wal } = await openCollect({ dir: tmpDir() });
    wal.append(1, Buffer.from('x'));
    const before = wal.fsyncCount;
    await Promise.all([wal.close(), wal.close()]);
    expect(wal.fsyncCount).toBe(before + 1);
    let err: unknown;
    try {
      wal.append(1, Buffer.from('y'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('STRATA_ERR_CLOSED');
    expect(() => wal.rollSegment()).toThrow(/closed/);
    await wal.sync('always'); // everything appended is durable: nothing to wait for
  });

  it('refuses a record over the maximum size', async () => {
    const { wal } = await openCollect({ dir: tmpDir() });
    const big = [Buffer.alloc(200 * 1024 * 1024), Buffer.alloc(57 * 1024 * 1024)];
    expect(() => wal.append(1, big)).toThrow(/over the 268435456-byte limit/);
    await wal.close();
  });
});

describe('Wal fsync policies', () => {
  it('group commit: 50 concurrent append + sync(always) share a few fsyncs', async () => {
    const seconds: number[] = [];
    const { wal } = await openCollect({ dir: tmpDir(), onFsync: (s) => seconds.push(s) });
    const writer = async (i: number) => {
      await new Promise((r) => setImmediate(r));
      wal.append(1, payload(i, 100));
      await wal.sync('always');
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer(i)));
    expect(wal.fsyncCount).toBeGreaterThanOrEqual(1);
    expect(wal.fsyncCount).toBeLessThanOrEqual(3);
    expect(seconds).toHaveLength(wal.fsyncCount);
    await wal.close();
  });

  it('sync(always) waits for an fsync that began after the append', async () => {
    const gates: (() => void)[] = [];
    let gated = false;
    const io = {
      fdatasync: (fd: number) =>
        gated ? new Promise<void>((r) => gates.push(() => void nodeIo.fdatasync(fd).then(r))) : nodeIo.fdatasync(fd),
    };
    const { wal } = await openCollect({ dir: tmpDir(), io });
    gated = true;
    wal.append(1, Buffer.from('a'));
    let aDone = false;
    let bDone = false;
    const a = wal.sync('always').then(() => (aDone = true));
    wal.append(1, Buffer.from('b'));
    const b = wal.sync('always').then(() => (bDone = true));
    expect(gates).toHaveLength(1);
    gates[0]();
    await a;
    expect(bDone).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(2);
    gates[1]();
    await b;
    expect(aDone && bDone).toBe(true);
    await wal.close();
  });

  it("'interval' resolves at once and fsyncs within the interval; 'off' leaves it to close", async () => {
    const { wal } = await openCollect({ dir: tmpDir(), fsyncIntervalMs: 20 });
    wal.append(1, Buffer.from('a'));
    await wal.sync('off');
    await new Promise((r) => setTimeout(r, 60));
    expect(wal.fsyncCount).toBe(0);
    await wal.sync('interval');
    expect(wal.fsyncCount).toBe(0);
    await vi.waitFor(() => expect(wal.fsyncCount).toBe(1), { timeout: 5000, interval: 5 });
    wal.append(1, Buffer.from('b'));
    await wal.sync('off');
    await wal.close();
    expect(wal.fsyncCount).toBe(2);
  });

  it('flush fsyncs only when something is unsynced', async () => {
    const { wal } = await openCollect({ dir: tmpDir() });
    await wal.flush();
    expect(wal.fsyncCount).toBe(0);
    wal.append(1, Buffer.from('a'));
    await wal.flush();
    await wal.flush();
    expect(wal.fsyncCount).toBe(1);
    await wal.close();
  });
});

describe('Wal I/O errors', () => {
  it('an fsync error rejects every waiter, then every append, sync and close', async () => {
    let fail = false;
    const io = {
      fdatasync: (fd: number) => (fail ? Promise.reject(errno('EIO')) : nodeIo.fdatasync(fd)),
    };
    const { wal } = await openCollect({ dir: tmpDir(), io });
    fail = true;
    const waits = [];
    for (let i = 0; i < 5; i++) {
      wal.append(1, Buffer.from([i]));
      waits.push(wal.sync('always'));
    }
    const results = await Promise.allSettled(waits);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as StrataError;
      expect(e.code).toBe('STRATA_ERR_WAL');
      expect(e.message).toMatch(/fsync failed on .*0000000000000001\.wal: EIO/);
      expect((e.cause as NodeJS.ErrnoException).code).toBe('EIO');
    }
    expect(() => wal.append(1, Buffer.from('z'))).toThrow(/EIO/);
    await expect(wal.sync('off')).rejects.toThrow(/EIO/);
    await expect(wal.close()).rejects.toThrow(/EIO/);
  });

  it('an fsync error in interval mode is logged and fails the next append', async () => {
    const errors: string[] = [];
    const logger = { info() {}, warn() {}, error: (_o: object | string, m?: string) => void errors.push(m ?? '') };
    let fail = false;
    const io = { fdatasync: (fd: number) => (fail ? Promise.reject(errno('EIO')) : nodeIo.fdatasync(fd)) };
    const w = (await openCollect({ dir: tmpDir(), io, logger, fsyncIntervalMs: 5 })).wal;
    fail = true;
    w.append(1, Buffer.from('a'));
    await w.sync('interval');
    await vi.waitFor(() => expect(errors.some((m) => /fsync failed/.test(m))).toBe(true), { timeout: 5000, interval: 5 });
    expect(() => w.append(1, Buffer.from('b'))).toThrow(/EIO/);
    await expect(w.close()).rejects.toThrow(/EIO/);
  });

  it('open fails when the first segment cannot be made durable', async () => {
    const io = { fdatasync: () => Promise.reject(errno('EIO')) };
    await expect(openCollect({ dir: tmpDir(), io })).rejects.toMatchObject({ code: 'STRATA_ERR_WAL' });
  });

  it('a full disk fails the append, leaves no partial frame, and the log goes on', async () => {
    let full = false;
    const io = {
      writev: (fd: number, bufs: Uint8Array[], pos: number) => {
        if (!full) return nodeIo.writev(fd, bufs, pos);
        nodeIo.writev(fd, [bufs[0].subarray(0, 5)], pos); // a partial frame reaches the file
        throw errno('ENOSPC');
      },
    };
    const dir = tmpDir();
    const { wal } = await openCollect({ dir, io });
    wal.append(1, Buffer.from('one'));
    full = true;
    let err: StrataError | undefined;
    try {
      wal.append(1, Buffer.from('two'));
    } catch (e) {
      err = e as StrataError;
    }
    expect(err?.code).toBe('STRATA_ERR_WAL');
    expect(err?.status).toBe(507);
    full = false;
    wal.append(1, Buffer.from('three'));
    await wal.close();
    expect((await replay({ dir })).map((r) => r.payload.toString())).toEqual(['one', 'three']);
  });

  it('short writes are continued until the frame is complete', async () => {
    const io = { writev: (fd: number, bufs: Uint8Array[], pos: number) => nodeIo.writev(fd, [bufs[0].subarray(0, 3)], pos) };
    const dir = tmpDir();
    const { wal } = await openCollect({ dir, io });
    wal.append(9, [Buffer.from('hello '), Buffer.from('world')]);
    await wal.close();
    expect((await replay({ dir }))[0]).toMatchObject({ type: 9, payload: Buffer.from('hello world') });
  });

  it('a failed fsync at a segment roll stops the log', async () => {
    const io = { fdatasyncSync: () => { throw errno('EIO'); } };
    const dir = tmpDir();
    const { wal } = await openCollect({ dir, io, segmentSize: 64 });
    wal.append(1, payload(1, 40));
    expect(() => wal.append(1, payload(2, 40))).toThrow(/fsync before a segment roll failed/);
    expect(existsSync(join(dir, segmentName(2)))).toBe(false);
    await expect(wal.sync('always')).rejects.toThrow(/EIO/);
    await wal.close().catch(() => {});
  });
});
