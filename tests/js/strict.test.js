// The shipped module needs no code generation from strings (-sDYNAMIC_EXECUTION=0), so pages with
// a Content-Security-Policy without 'unsafe-eval' can use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/strict.mjs', import.meta.url));

test('the module loads and runs under node --disallow-code-generation-from-strings', async () => {
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', fixture]);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.simd), [true, false]);
  for (const l of lines) assert.equal(l.output.length, 4);
});

test('the same flag really forbids eval (the check above is not vacuous)', async () => {
  await assert.rejects(
    run(process.execPath, ['--disallow-code-generation-from-strings', '-e', 'new Function("return 1")()']),
    /EvalError/,
  );
});

// Issue 10: every public call of both flavours (fixtures/strict-all.mjs), not only load and run.
test('every public call of both flavours runs under --disallow-code-generation-from-strings', async () => {
  const all = fileURLToPath(new URL('./fixtures/strict-all.mjs', import.meta.url));
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', all]);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.simd), [true, false]);
  for (const l of lines) {
    assert.ok(l.calls > 100, `${l.calls} calls`);
    assert.equal(l.errors, 5, 'each bad call threw a named TypeError/RangeError');
  }
  console.log(`strict: ${lines.map((l) => `${l.calls} calls and ${l.errors} error paths (${l.simd ? 'SIMD' : 'baseline'})`).join(', ')} with code generation from strings disallowed`);
});

test('no shipped script contains eval or new Function', async () => {
  const roots = ['../../dist/pkg/', '../../dist/site/assets/'].map((p) => new URL(p, import.meta.url));
  let scanned = 0;
  for (const root of roots) {
    let names = [];
    try {
      names = await readdir(root);
    } catch {
      continue; // dist/site is built by the web layer; dist/pkg always exists here
    }
    for (const name of names.filter((n) => /\.m?js$/.test(n))) {
      const text = await readFile(new URL(name, root), 'utf8');
      assert.doesNotMatch(text, /\bnew Function\b|\beval\s*\(|\bFunction\s*\(\s*['"`]/, `${name} generates code from strings`);
      scanned++;
    }
  }
  assert.ok(scanned >= 4, `scanned ${scanned} files`);
  console.log(`strict: ${scanned} shipped scripts contain no eval or new Function`);
});
