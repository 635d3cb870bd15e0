import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A GroupCommit whose fsyncs complete only when the test says so. */
function manual() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const gc = new GroupCommit(
    () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    (e) => new Error(`wrapped: ${(e as Error).message}`),
  );
  const state = (p: Promise<void>) => {
    const s = { done: false, err: null as Error | null };
    p.then(
      () => (s.done = true),
      (e: Error) => (s.err = e),
    );
    return s;
  };
  return { gc, pending, state };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('resolves at once when nothing was written', async () => {
    const { gc, pending } = manual();
    await gc.wait();
    expect(pending).toHaveLength(0);
  });

  it('acknowledges a write only after an fsync that began after it', async () => {
    const { gc, pending, state } = manual();
    gc.wrote();
    const a = state(gc.wait()); // starts fsync #1, covering write 1
    expect(pending).toHaveLength(1);
    gc.wrote();
    const b = state(gc.wait()); // write 2 came after #1 began: waits for #2
    const a2 = state(gc.wait()); // still target 2: joins b's batch
    expect(pending).toHaveLength(1);
    pending[0].resolve();
    await tick();
    expect(a.done).toBe(true);
    expect(b.done).toBe(false);
    expect(a2.done).toBe(false);
    expect(pending).toHaveLength(2); // #2 started as soon as #1 ended
    pending[1].resolve();
    await tick();
    expect(b.done && a2.done).toBe(true);
    expect(gc.count).toBe(2);
  });

  it('lets a caller with nothing new ride the fsync in flight', async () => {
    const { gc, pending, state } = manual();
    gc.wrote();
    const a = state(gc.wait());
    const again = state(gc.wait()); // no write since #1 began: #1 covers it
    pending[0].resolve();
    await tick();
    expect(a.done && again.done).toBe(true);
    expect(pending).toHaveLength(1);
  });

  it('many writers arriving during one fsync share the next one', async () => {
    const { gc, pending, state } = manual();
    const states = [];
    for (let i = 0; i < 50; i++) {
      gc.wrote();
      states.push(state(gc.wait()));
    }
    pending[0].resolve();
    await tick();
    pending[1].resolve();
    await tick();
    expect(states.every((s) => s.done)).toBe(true);
    expect(pending).toHaveLength(2);
  });

  it('a failed fsync rejects its waiters and the next batch, and stays failed', async () => {
    const { gc, pending, state } = manual();
    gc.wrote();
    const a = state(gc.wait());
    gc.wrote();
    const b = state(gc.wait());
    pending[0].reject(new Error('EIO'));
    await tick();
    expect(a.err?.message).toBe('wrapped: EIO');
    expect(b.err).toBe(a.err);
    expect(pending).toHaveLength(1); // no retry: the pages may be gone
    await expect(gc.wait()).rejects.toBe(a.err);
    expect(gc.failure).toBe(a.err);
  });
});
