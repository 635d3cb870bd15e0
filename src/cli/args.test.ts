import { describe, expect, it } from 'vitest';
import { UsageError, editDistance, formatHelp, parseArgs, type CommandSpec } from './args.js';
import { SERVE_SPEC } from './serve.js';
import { IMPORT_SPEC } from './import.js';
import { EXPORT_SPEC } from './export.js';

const SPEC: CommandSpec = {
  name: 'demo',
  summary: 'A demo command',
  usage: 'demo FILE [flags]',
  positionals: [
    { name: 'FILE', description: 'input', required: true },
    { name: 'OTHER', description: 'optional' },
  ],
  flags: [
    { name: 'name', type: 'string', placeholder: 'NAME', env: 'DEMO_NAME', default: 'anon', description: 'a name' },
    { name: 'count', short: 'c', type: 'number', env: 'DEMO_COUNT', default: 3, min: 1, max: 10, description: 'a count' },
    { name: 'mode', type: 'string', choices: ['a', 'b'], default: 'a', description: 'a mode' },
    { name: 'tag', short: 't', type: 'string', repeatable: true, description: 'a tag' },
    { name: 'color', type: 'boolean', negatable: true, default: true, env: 'DEMO_COLOR', description: 'colour output' },
    { name: 'verbose', type: 'boolean', description: 'chatty' },
  ],
};

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('reads --flag value, --flag=value, short flags and positionals', () => {
    const a = parseArgs(SPEC, ['in.lp', '--name', 'x', '--count=5', '-t', 'one', '-t=two', '--tag', 'three', 'second']);
    expect(a.positionals).toEqual(['in.lp', 'second']);
    expect(a.string('name')).toBe('x');
    expect(a.number('count')).toBe(5);
    expect(a.list('tag')).toEqual(['one', 'two', 'three']);
    expect(a.source('name')).toBe('flag');
  });

  it('applies defaults', () => {
    const a = parseArgs(SPEC, ['f']);
    expect(a.string('name')).toBe('anon');
    expect(a.number('count')).toBe(3);
    expect(a.boolean('color')).toBe(true);
    expect(a.boolean('verbose')).toBe(false);
    expect(a.list('tag')).toEqual([]);
    expect(a.source('count')).toBe('default');
    expect(a.has('verbose')).toBe(false);
  });

  it('handles booleans: --flag, --no-flag, --flag=false', () => {
    expect(parseArgs(SPEC, ['f', '--verbose']).boolean('verbose')).toBe(true);
    expect(parseArgs(SPEC, ['f', '--no-color']).boolean('color')).toBe(false);
    expect(parseArgs(SPEC, ['f', '--color=false']).boolean('color')).toBe(false);
    expect(parseArgs(SPEC, ['f', '--verbose=yes']).boolean('verbose')).toBe(true);
    expect(usageError(() => parseArgs(SPEC, ['f', '--verbose=maybe'])).message).toMatch(/--verbose must be true or false/);
    expect(usageError(() => parseArgs(SPEC, ['f', '--no-color=1'])).message).toMatch(/takes no value/);
  });

  it('takes the environment when the flag is absent, and the flag over the environment', () => {
    const env = { DEMO_NAME: 'from-env', DEMO_COUNT: '7', DEMO_COLOR: 'false' };
    const a = parseArgs(SPEC, ['f'], env);
    expect(a.string('name')).toBe('from-env');
    expect(a.number('count')).toBe(7);
    expect(a.boolean('color')).toBe(false);
    expect(a.source('name')).toBe('env');
    const b = parseArgs(SPEC, ['f', '--name', 'cli', '--count=2', '--color'], env);
    expect(b.string('name')).toBe('cli');
    expect(b.number('count')).toBe(2);
    expect(b.boolean('color')).toBe(true);
    expect(b.source('name')).toBe('flag');
    // An empty variable counts as unset.
    expect(parseArgs(SPEC, ['f'], { DEMO_NAME: '' }).string('name')).toBe('anon');
  });

  it('validates environment values like flag values, naming the variable', () => {
    expect(usageError(() => parseArgs(SPEC, ['f'], { DEMO_COUNT: 'lots' })).message).toMatch(/DEMO_COUNT must be a whole number/);
    expect(usageError(() => parseArgs(SPEC, ['f'], { DEMO_COUNT: '99' })).message).toMatch(/DEMO_COUNT must be at most 10/);
  });

  it('validates numbers and choices', () => {
    expect(usageError(() => parseArgs(SPEC, ['f', '--count', 'x'])).message).toMatch(/--count must be a whole number, got "x"/);
    expect(usageError(() => parseArgs(SPEC, ['f', '--count', '0'])).message).toMatch(/at least 1/);
    expect(usageError(() => parseArgs(SPEC, ['f', '--count', '1.5'])).message).toMatch(/whole number/);
    expect(usageError(() => parseArgs(SPEC, ['f', '--mode', 'c'])).message).toMatch(/--mode must be one of a, b; got "c"/);
  });

  it('names unknown flags, with a suggestion when one is close', () => {
    const e = usageError(() => parseArgs(SPEC, ['f', '--nmae', 'x']));
    expect(e.message).toBe('unknown flag --nmae for "strata demo" (did you mean --name?)');
    expect(e.command).toBe('demo');
    expect(usageError(() => parseArgs(SPEC, ['f', '--zzzzzzzz'])).message).toBe('unknown flag --zzzzzzzz for "strata demo"');
    expect(usageError(() => parseArgs(SPEC, ['f', '-x'])).message).toMatch(/unknown flag -x/);
  });

  it('refuses a missing value, a missing positional and extra positionals', () => {
    expect(usageError(() => parseArgs(SPEC, ['f', '--name'])).message).toBe('flag --name needs a value (NAME)');
    expect(usageError(() => parseArgs(SPEC, ['f', '--name', '--verbose'])).message).toMatch(/needs a value/);
    expect(usageError(() => parseArgs(SPEC, [])).message).toBe('missing FILE');
    expect(usageError(() => parseArgs(SPEC, ['a', 'b', 'c'])).message).toBe('unexpected argument "c"');
  });

  it('treats "-" and negative numbers as values, and "--" as the end of flags', () => {
    const a = parseArgs(SPEC, ['-', '--name', '-']);
    expect(a.positionals).toEqual(['-']);
    expect(a.string('name')).toBe('-');
    const b = parseArgs(SPEC, ['--', '--verbose', '-5']);
    expect(b.positionals).toEqual(['--verbose', '-5']);
    expect(b.boolean('verbose')).toBe(false);
  });

  it('recognises --help and -h without requiring the positionals', () => {
    expect(parseArgs(SPEC, ['--help']).help).toBe(true);
    expect(parseArgs(SPEC, ['-h']).help).toBe(true);
    expect(parseArgs(SPEC, ['f']).help).toBe(false);
  });

  it('lets the last of a repeated single-valued flag win', () => {
    expect(parseArgs(SPEC, ['f', '--name', 'a', '--name', 'b']).string('name')).toBe('b');
  });
});

describe('formatHelp', () => {
  it('lists every flag with its default, choices and environment variable', () => {
    const h = formatHelp(SPEC);
    expect(h).toMatch(/^Usage: strata demo FILE \[flags\]\n/);
    expect(h).toContain('--name NAME');
    expect(h).toContain('[default: anon; env: DEMO_NAME]');
    expect(h).toContain('-c, --count N');
    expect(h).toContain('[one of: a, b; default: a]');
    expect(h).toContain('--no-color');
    expect(h).toContain('repeatable');
    expect(h).toContain('-h, --help');
    expect(h).toContain('FILE');
  });

  it('documents the real commands', () => {
    const serve = formatHelp(SERVE_SPEC);
    for (const s of ['--data-dir DIR', 'STRATA_DATA_DIR', '--port PORT', 'STRATA_PORT', 'default: 8086', '--bind ADDR', 'STRATA_BIND', '--fsync MODE', 'STRATA_FSYNC', '--fsync-interval MS', '--no-auto-create', '--repair-wal']) {
      expect(serve).toContain(s);
    }
    const imp = formatHelp(IMPORT_SPEC);
    for (const s of ['import FILE', '--db NAME', '--precision', '--batch-lines N', '--fsync MODE', 'default: off', 'Exit status']) expect(imp).toContain(s);
    const exp = formatHelp(EXPORT_SPEC);
    for (const s of ['--db NAME', '--rp', '--measurement', '--start TIME', '--end TIME', '-o, --out FILE']) expect(exp).toContain(s);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
