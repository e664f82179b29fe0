// The built package in real Chromium, loaded by a plain page (tests/browser/fixtures/core.html)
// under a strict Content-Security-Policy: no 'unsafe-eval', only 'wasm-unsafe-eval'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cleanReport, launch, openPage, serve } from './harness.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
let browser;
let server;

before(async () => {
  browser = await launch();
  server = await serve({ root: repo, headers: { 'content-security-policy': CSP } });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const [flavour, expectSimd] of [
  ['auto', true],
  ['true', true],
  ['false', false],
]) {
  test(`core loads and computes in Chromium (simd: ${flavour}) under a strict CSP`, async () => {
    const { context, page, report } = await openPage(browser);
    try {
      await page.goto(`${server.url}tests/browser/fixtures/core.html?simd=${flavour}`);
      await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading', null, { timeout: 30000 });
      const result = JSON.parse(await page.locator('#status').getAttribute('data-result'));
      assert.equal(result.failed, undefined, result.failed);
      assert.equal(result.info.simd, expectSimd);
      assert.ok(result.variants.includes('softmax') && result.variants.includes('linear'), result.variants.join(', '));
      const w1 = Math.exp(Math.SQRT1_2) / (1 + Math.exp(Math.SQRT1_2));
      const expected = [1, 2, 1 + 2 * w1, 2 + 2 * w1];
      for (const [form, out] of Object.entries(result.forms))
        out.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `${form}[${i}] = ${x}, expected ${expected[i]}`));
      assert.deepEqual(result.stepped, [1, 2]);
      assert.match(result.error, /^TypeError: inputs\.v: missing/);
      assert.equal(result.same, true, 'loadCore twice gives the same instance');
      const wasm = report.requests.filter((u) => u.endsWith('.wasm')).map((u) => u.split('/').pop());
      assert.deepEqual(wasm, [expectSimd ? 'attnlab-simd.wasm' : 'attnlab.wasm']);
      assert.equal(cleanReport(report), '');
    } finally {
      await context.close();
    }
  });
}
