// The server runs node with --no-memory-reducer (docs/cli.md, "Memory"; bench/idle.sh):
// `npm start`, the `strata` command (bin/strata.js, by its #! line) and bench/start-strata.sh.
// The #! line is checked the way the kernel reads it: a script carrying it is executed and
// reports the flags its node was started with.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './testing/io.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLAG = '--no-memory-reducer';

afterEach(removeTempDirs);

describe('node flags of the server', () => {
  it('bin/strata.js starts node with --no-memory-reducer', async () => {
    const shebang = fs.readFileSync(path.join(ROOT, 'bin/strata.js'), 'utf8').split('\n')[0];
    expect(shebang.startsWith('#!')).toBe(true);
    const script = path.join(tempDir(), 'flags.js');
    fs.writeFileSync(script, `${shebang}\nconsole.log(JSON.stringify(process.execArgv));\n`, { mode: 0o755 });
    const { stdout } = await promisify(execFile)(script, [], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual([FLAG]);
  });

  it('npm start and bench/start-strata.sh pass it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${FLAG} dist/cli/main.js serve`);
    const sh = fs.readFileSync(path.join(ROOT, 'bench/start-strata.sh'), 'utf8');
    expect(sh).toContain(`NODE_FLAGS=\${STRATA_NODE_FLAGS-${FLAG}}`);
    expect(sh).toMatch(/nohup node \$NODE_FLAGS "\$ROOT\/dist\/cli\/main\.js" serve/);
  });
});
