// KV namespaces and document collections are measurements like any other, so SQL reads
// them as tables: `_kv.<namespace>` (tag key; fields value, type, deleted, expires) and
// `_doc.<collection>` (tag _id and the indexed fields; fields doc, deleted).

import { expect, it } from 'vitest';
import { engineFixture } from '../engine/testing/fixture.js';
import { executeSql, sqlResultToJson } from '../query/sql/index.js';
import { DocStore } from './docs.js';
import { KvStore } from './kv.js';

const { tmpDir, openDb } = engineFixture('strata-sqlviews-');

/** The JSON answer /sql would send, parsed. */
const sql = async (db: Parameters<typeof executeSql>[0], q: string): Promise<unknown> =>
  JSON.parse(sqlResultToJson(await executeSql(db, q, { db: 'default' })));

it('SQL selects KV keys and documents, with history as rows', async () => {
  const db = await openDb({ dataDir: tmpDir(), autoCreateDatabases: true });
  let t = 1_700_000_000_000_000_000n;
  const clock = () => (t += 1_000_000_000n);
  const kv = new KvStore({ db, now: clock });
  await kv.put('ui', 'theme', '"light"', { type: 'application/json' });
  await kv.put('ui', 'theme', '"dark"', { type: 'application/json' });
  await kv.put('ui', 'lang', '"en"', { type: 'application/json' });
  const kvRows = await sql(db, `SELECT "key", value FROM _kv.ui ORDER BY time`);
  expect(kvRows).toMatchObject({
    rows: [
      ['theme', '"light"'],
      ['theme', '"dark"'],
      ['lang', '"en"'],
    ],
  });
  const latest = await sql(db, `SELECT "key", last(value) AS v FROM _kv.ui GROUP BY "key" ORDER BY "key"`);
  expect(latest).toMatchObject({ rows: [['lang', '"en"'], ['theme', '"dark"']] });

  const docs = new DocStore({ db, now: clock });
  const { id } = await docs.create('posts', { title: 'hello', tags: ['rust', 'db'] });
  const docRows = await sql(db, `SELECT _id, doc FROM _doc.posts`);
  expect(docRows).toMatchObject({ rows: [[id, JSON.stringify({ title: 'hello', tags: ['rust', 'db'] })]] });
});
