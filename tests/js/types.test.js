// The hand-written .d.ts (bindings/attnlab.d.ts, shipped as dist/pkg/attnlab.d.ts) checked by the
// TypeScript compiler against a usage file that imports 'attnlab' as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

test('tsc --noEmit accepts tests/js/types-usage.ts (and rejects its @ts-expect-error lines)', async () => {
  try {
    await run(process.execPath, [tsc, '--noEmit', '-p', project]);
  } catch (e) {
    assert.fail(`tsc reported errors:\n${e.stdout}${e.stderr}`);
  }
});
