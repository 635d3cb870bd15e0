import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';

describe('error registry', () => {
  it('documents every error code in docs/errors.md', () => {
    const doc = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('uses only registered codes in the source', () => {
    const src = fs.readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => fs.readFileSync(new URL(f, import.meta.url), 'utf8'))
      .join('\n');
    const used = new Set([...src.matchAll(/'(STRATA_ERR_[A-Z_]+)'/g)].map((m) => m[1]));
    const unknown = [...used].filter((c) => !(c in ERROR_CODES));
    expect(unknown).toEqual([]);
  });
});
