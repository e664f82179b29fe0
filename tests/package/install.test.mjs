// The npm package as a stranger gets it: `npm pack` of the built repo, installed with
// `npm install --offline` into empty temporary folders, then used the ways a course site uses it:
//   (a) a Node 20 script imports `attnlab` by name and checks a run against hand-computed values
//       (also under --disallow-code-generation-from-strings, and in the baseline flavour);
//   (b) a plain static page, served under a sub-path (/course/attn/), loads `attnlab/widgets` by a
//       relative URL into node_modules (and a second page through an import map) and renders widgets
//       in Chromium, also when the engine has no WebAssembly SIMD (baseline .wasm);
//   (c) a minimal Vite app that depends on the tarball builds with the repo's Vite and renders a
//       widget (built output, and Vite's dev server with the README's optimizeDeps.exclude line,
//       which a control shows to be needed);
//   (d) the plain page under a strict Content-Security-Policy works with no violation (and, as a
//       control, fails visibly without 'wasm-unsafe-eval');
//   (e) importing a subpath the package does not export fails loudly (ERR_PACKAGE_PATH_NOT_EXPORTED).
// Plus: what the tarball ships, the exports map, and `tsc --noEmit` on a usage file of both entries.
//
// Needs the built package (dist/pkg, widgets included): scripts/test.sh runs this after the web build.
// ATTNLAB_KEEP_TMP=1 keeps the temporary folders and prints where they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { cleanReport, launch, openPage, serve } from '../browser/harness.js';
import { DOCS, documentedParts } from './widget-docs.mjs';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BIN = {
  vite: join(REPO, 'node_modules/vite/bin/vite.js'),
  tsc: join(REPO, 'node_modules/typescript/bin/tsc'),
};
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const SUB_PATH = '/course/attn/';

// npm with a cache of its own, so that nothing from this machine's cache can stand in for the
// tarball, and no audit/fund requests (--offline forbids the network anyway).
function npm(args, cwd, env) {
  return exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
}

// A child process that must succeed; on failure the message carries its output.
async function mustRun(file, args, options) {
  try {
    return await exec(file, args, { maxBuffer: 64 << 20, ...options });
  } catch (e) {
    throw new Error(`${[file, ...args].join(' ')} failed (exit ${e.code}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

// A promise started in before() and awaited by a test; its rejection is reported by that test only.
function background(promise) {
  const settled = promise.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
  return async () => {
    const r = await settled;
    if (r.error) throw r.error;
    return r.value;
  };
}

const env = {};

before(async () => {
  const t0 = Date.now();
  env.tmp = await mkdtemp(join(tmpdir(), 'attnlab-package-'));
  const npmEnv = { npm_config_cache: join(env.tmp, 'npm-cache') };

  const { stdout } = await npm(['pack', '--json', '--pack-destination', env.tmp], REPO, npmEnv);
  env.pack = JSON.parse(stdout)[0];
  env.tarball = join(env.tmp, env.pack.filename);
  env.timings = { pack: Date.now() - t0 };

  // The plain site: an empty folder, the tarball installed without writing a package.json.
  env.site = join(env.tmp, 'site');
  // The Vite app: its package.json depends on the tarball, as an app's would.
  env.app = join(env.tmp, 'vite-app');
  await mkdir(env.site);
  await mkdir(env.app);
  await writeFile(
    join(env.app, 'package.json'),
    `${JSON.stringify({ name: 'course-site', private: true, type: 'module', dependencies: { attnlab: `file:../${env.pack.filename}` } }, null, 2)}\n`,
  );
  const t1 = Date.now();
  await Promise.all([
    // --prefix: npm would otherwise install into the nearest enclosing package, should TMPDIR have one
    npm(['install', '--no-save', '--offline', '--prefix', env.site, env.tarball], env.site, npmEnv),
    npm(['install', '--offline'], env.app, npmEnv),
  ]);
  env.timings.install = Date.now() - t1;
  env.installed = JSON.parse(await readFile(join(env.site, 'node_modules/attnlab/package.json'), 'utf8'));
  await cp(join(FIXTURES, 'site'), env.site, { recursive: true });
  await cp(join(FIXTURES, 'vite-app'), env.app, { recursive: true });

  // The two slow steps run while the Node and browser cases go on.
  const timed = (key, p) => {
    const t = Date.now();
    return p.finally(() => (env.timings[key] = Date.now() - t));
  };
  env.tsc = background(timed('tsc', mustRun(process.execPath, [BIN.tsc, '--noEmit', '-p', join(env.site, 'tsconfig.json')], { cwd: env.site })));
  env.viteBuild = background(
    timed('vite build', mustRun(process.execPath, [BIN.vite, 'build', env.app, '--logLevel', 'warn'], { cwd: env.app })),
  );

  env.browser = await launch();
  env.server = await serve({ root: env.site, base: SUB_PATH });
  env.cspServer = await serve({ root: env.site, base: SUB_PATH, headers: { 'content-security-policy': STRICT_CSP } });
});

after(async () => {
  await env.browser?.close();
  await env.server?.close();
  await env.cspServer?.close();
  await env.appServer?.close();
  await env.devServer?.close();
  await Promise.allSettled([env.tsc?.(), env.viteBuild?.()]);
  if (env.timings) console.log(`# package layer timings (ms): ${JSON.stringify(env.timings)}`);
  if (!env.tmp) return;
  if (process.env.ATTNLAB_KEEP_TMP) console.log(`# kept ${env.tmp}`);
  else await rm(env.tmp, { recursive: true, force: true });
});

// ----- what ships --------------------------------------------------------------------------------

// Relative files a shipped file refers to: JS imports and new URL(..., import.meta.url), CSS url(),
// and .d.ts imports (whose './x.js' means './x.d.ts').
function references(path, text) {
  const out = new Set();
  const dir = posix.dirname(path);
  const add = (ref) => {
    if (/^(data:|https?:|#)/.test(ref) || !/^\.{0,2}\/?[\w.-]/.test(ref)) return;
    out.add(posix.normalize(posix.join(dir, ref.replace(/[?#].*$/, ''))));
  };
  if (path.endsWith('.d.ts')) {
    for (const m of text.matchAll(/from\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) add(`${m[1]}.d.ts`);
  } else if (path.endsWith('.js')) {
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"`](\.{1,2}\/[^'"`]+)['"`]/g)) add(m[1]);
    for (const m of text.matchAll(/new URL\(\s*['"`]([^'"`:]+)['"`]\s*,\s*import\.meta\.url/g)) add(m[1]);
  } else if (path.endsWith('.css')) {
    for (const m of text.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) add(m[1]);
  }
  return out;
}

function exportTargets(exportsMap) {
  const out = [];
  const walk = (v) => {
    if (typeof v === 'string') out.push(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(exportsMap);
  return out;
}

test('npm pack: the tarball ships the built package and nothing else (every file reachable from "exports")', async (t) => {
  const files = env.pack.files.map((f) => f.path).sort();
  t.diagnostic(`${env.pack.filename}: ${env.pack.size} bytes packed, ${env.pack.unpackedSize} unpacked, ${files.length} files`);
  for (const f of env.pack.files) t.diagnostic(`  ${String(f.size).padStart(8)}  ${f.path}`);

  const forbidden = files.filter((f) => /\.map$|\.(c|cc|cpp|h|hpp|ts|mts|tsx)$|(^|\/)(src|tests?|web|cpp|bindings|scripts|build|bench)\//.test(f) && !f.endsWith('.d.ts'));
  assert.deepEqual(forbidden, [], 'sources, tests or source maps in the tarball');

  const pkg = env.installed;
  const targets = exportTargets(pkg.exports);
  const missing = targets.filter((f) => !files.includes(f));
  assert.deepEqual(missing, [], 'files named by "exports" but not shipped');

  // Walk from the export targets through every reference; what is never reached is dead weight.
  const reached = new Set(targets);
  const queue = [...targets];
  while (queue.length) {
    const f = queue.pop();
    if (!/\.(js|css|d\.ts)$/.test(f) || !files.includes(f)) continue;
    const text = await readFile(join(env.site, 'node_modules/attnlab', f), 'utf8');
    for (const ref of references(f, text)) {
      assert.ok(files.includes(ref), `${f} refers to ${ref}, which the tarball lacks`);
      if (!reached.has(ref)) {
        reached.add(ref);
        queue.push(ref);
      }
    }
  }
  const always = /^(package\.json|README(\.md)?|LICEN[CS]E(\.\w+)?)$/i;
  const dead = files.filter((f) => !reached.has(f) && !always.test(f));
  assert.deepEqual(dead, [], 'shipped files nothing in the package refers to');
  for (const need of ['dist/pkg/widgets.js', 'dist/pkg/widgets.d.ts', 'dist/pkg/styles.css', 'dist/pkg/attnlab-simd.wasm', 'dist/pkg/attnlab.wasm'])
    assert.ok(files.includes(need), `${need} is not in the tarball`);
});

test('package.json: "types" first in every exports condition, no runtime dependencies, no install scripts, accurate sideEffects', async () => {
  const pkg = env.installed;
  assert.equal(pkg.type, 'module');
  for (const [subpath, value] of Object.entries(pkg.exports)) {
    if (typeof value !== 'object') continue;
    assert.equal(Object.keys(value)[0], 'types', `exports["${subpath}"] must list "types" first (TypeScript takes the first match)`);
    assert.ok('default' in value, `exports["${subpath}"] has no "default" condition`);
  }
  assert.ok(pkg.exports['.'].node, 'the core has a "node" condition');
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies'])
    assert.equal(pkg[field] && Object.keys(pkg[field]).length ? field : null, null, `the package declares ${field}`);
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
    assert.equal(pkg.scripts?.[hook], undefined, `a "${hook}" script would run on every install`);
  // Nothing but attnlab was installed: the tarball is self-contained.
  const installed = (await readdir(join(env.site, 'node_modules'))).filter((f) => !f.startsWith('.'));
  assert.deepEqual(installed, ['attnlab']);
  const appInstalled = (await readdir(join(env.app, 'node_modules'))).filter((f) => !f.startsWith('.'));
  assert.deepEqual(appInstalled, ['attnlab']);

  // sideEffects: each pattern names shipped files; the widgets entry (it registers elements) is
  // among them; the core entries (pure: loadCore does nothing until called) are not.
  const files = env.pack.files.map((f) => `./${f.path}`);
  const asRegExp = (glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  const patterns = pkg.sideEffects.map(asRegExp);
  pkg.sideEffects.forEach((glob, i) => assert.ok(files.some((f) => patterns[i].test(f)), `sideEffects pattern ${glob} matches no shipped file`));
  const effectful = (f) => patterns.some((p) => p.test(f));
  assert.ok(effectful(`./${pkg.exports['./widgets'].default.replace(/^\.\//, '')}`), 'the widgets entry must be marked as having side effects');
  for (const f of exportTargets(pkg.exports['.']).filter((x) => x.endsWith('.js'))) assert.ok(!effectful(`./${f}`), `${f} is marked as having side effects`);
});

// ----- (a), (e): Node ----------------------------------------------------------------------------

test('(a) Node 20: a script in the install folder imports attnlab and matches hand-computed outputs (SIMD and baseline)', async () => {
  const script = join(env.site, 'check.mjs');
  const simd = JSON.parse((await mustRun(process.execPath, [script], { cwd: env.site })).stdout);
  assert.deepEqual(simd.info, { version: env.installed.version, simd: true });
  for (const id of ['softmax', 'linear', 'retnet']) assert.ok(simd.variants.includes(id), simd.variants.join(', '));
  const baseline = JSON.parse((await mustRun(process.execPath, [script, '--baseline'], { cwd: env.site })).stdout);
  assert.equal(baseline.info.simd, false);
});

test('(a) the installed module also runs under node --disallow-code-generation-from-strings', async () => {
  const flag = '--disallow-code-generation-from-strings';
  const { stdout } = await mustRun(process.execPath, [flag, join(env.site, 'check.mjs')], { cwd: env.site });
  assert.equal(JSON.parse(stdout).info.simd, true);
  // the flag is in force in that process: eval is refused
  await assert.rejects(exec(process.execPath, [flag, '-e', 'new Function("return 1")()']), /EvalError/);
});

test('(e) importing a subpath the package does not export fails loudly with ERR_PACKAGE_PATH_NOT_EXPORTED', async () => {
  for (const subpath of ['attnlab/dist/pkg/api.js', 'attnlab/attnlab-core.js']) {
    const err = await exec(process.execPath, ['--input-type=module', '-e', `import ${JSON.stringify(subpath)};`], { cwd: env.site }).then(
      () => null,
      (e) => e,
    );
    assert.ok(err, `import '${subpath}' succeeded`);
    assert.notEqual(err.code, 0);
    assert.match(err.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    assert.match(err.stderr, new RegExp(`Package subpath '\\./${subpath.slice('attnlab/'.length).replace(/\./g, '\\.')}' is not defined by "exports"`));
  }
});

test('(a) Node: importing attnlab/widgets gives the widget names and a clear error, not a missing HTMLElement', async () => {
  const script = [
    "import * as w from 'attnlab/widgets';",
    "const err = await w.defineWidget('cost-curve').then(() => null, (e) => e.message);",
    "const unknown = await w.defineWidget('nope').then(() => null, (e) => e.name);",
    "const ready = await w.ready.then(() => null, (e) => e.message);",
    "console.log(JSON.stringify({ names: w.WIDGET_NAMES, tag: w.tagName('simulator'), prefix: w.PREFIX, err, unknown, ready }));",
  ].join('\n');
  const out = JSON.parse((await mustRun(process.execPath, ['--input-type=module', '-e', script], { cwd: env.site })).stdout);
  // the browser entry's own list, from the source the bundle was built from
  const { WIDGET_NAMES, PREFIX } = await import(new URL('../../web/src/widgets/index.js', import.meta.url));
  assert.deepEqual(out.names, WIDGET_NAMES);
  assert.equal(out.prefix, PREFIX);
  assert.equal(out.tag, 'attn-simulator');
  assert.match(out.err, /need a browser.*import \{ loadCore \} from 'attnlab'/);
  assert.equal(out.unknown, 'RangeError');
  assert.match(out.ready, /need a browser/);
});

test('types: tsc --noEmit on a usage file importing attnlab and attnlab/widgets from the installed package', async () => {
  await env.tsc();
});

// ----- (b), (d): a plain page --------------------------------------------------------------------

// Records CSP violations (they also reach the console) before any script of the page runs.
// noSimd: the page's engine reports no WebAssembly SIMD, as Safari before 16.4 does.
async function openRecorded(url, { noSimd = false } = {}) {
  const { context, page, report } = await openPage(env.browser);
  if (noSimd) await page.addInitScript(() => (WebAssembly.validate = () => false));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`), true);
  });
  const response = await page.goto(url);
  return { context, page, report, response };
}

const readoutsOf = (page, tag) =>
  page.evaluate((t) => [...document.querySelector(t).shadowRoot.querySelectorAll('.readouts dd')].map((d) => d.textContent.replace(/\s+/g, ' ').trim()), tag);

async function waitForWidgets(page, tags) {
  await page.waitForFunction((list) => list.every((t) => document.querySelector(t)?.core && document.querySelector(t).shadowRoot?.querySelector('.readouts')), tags, {
    timeout: 60000,
  });
}

// Every ::part a rendered widget carries is listed for it in docs/widgets.md.
async function assertPartsDocumented(page, tags) {
  const docs = await readFile(DOCS, 'utf8');
  for (const tag of tags) {
    const shown = await page.evaluate(
      (t) => [...new Set([...document.querySelector(t).shadowRoot.querySelectorAll('[part]')].flatMap((e) => e.getAttribute('part').split(/\s+/)))],
      tag,
    );
    const listed = documentedParts(docs, tag);
    assert.deepEqual(shown.filter((x) => !listed.includes(x)), [], `<${tag}> renders parts docs/widgets.md does not list`);
  }
}

// The checks of the plain page, with or without a CSP; `base` is the served sub-path URL.
async function checkPlainPage(page, report, base, { simd = true } = {}) {
  await waitForWidgets(page, ['attn-cost-curve', 'attn-state-stepper']);
  const facts = await page.evaluate(async () => {
    const widgets = await import('./node_modules/attnlab/dist/pkg/widgets.js');
    const { loadCore } = await import('./node_modules/attnlab/dist/pkg/attnlab.js');
    const curve = document.querySelector('attn-cost-curve');
    const stepper = document.querySelector('attn-state-stepper');
    return {
      defined: widgets.WIDGET_NAMES.filter((n) => !customElements.get(widgets.tagName(n))),
      tags: widgets.WIDGET_NAMES.map(widgets.tagName),
      sameCore: curve.core === (await loadCore()) && stepper.core === curve.core,
      info: curve.core.info,
      curve: curve.state,
      stepper: stepper.state,
      figures: [curve, stepper].map((el) => el.shadowRoot.querySelectorAll('.figure svg, .figure canvas').length),
      styles: [...document.styleSheets].some((s) => (s.href ?? '').endsWith('/node_modules/attnlab/dist/pkg/styles.css') && s.cssRules.length > 0),
    };
  });
  assert.deepEqual(facts.defined, [], 'widgets not registered by attnlab/widgets');
  // the shipped bundle registers exactly the documented widgets
  const documented = [...(await readFile(DOCS, 'utf8')).matchAll(/^## `<([\w-]+)>`/gm)].map((m) => m[1]);
  assert.deepEqual(facts.tags, documented, 'widgets in the installed bundle vs docs/widgets.md');
  assert.ok(facts.sameCore, 'the widgets and loadCore() share one core');
  assert.equal(facts.info.simd, simd);
  // attributes configured the widgets
  assert.deepEqual(facts.curve, { n: 20000, d: 32, axes: 'linear', view: 'model' });
  assert.deepEqual(facts.stepper, { t: 2, length: 6, d: 4, seed: 1, compare: false });
  assert.ok(facts.figures.every((x) => x > 0), `figures drawn: ${facts.figures}`);
  assert.ok(facts.styles, 'attnlab/styles.css is applied');
  // By hand: softmax's parallel form at n = 20000, d = 32 costs n²·dk + n²·dv = 4e8 · 64 multiply-adds.
  assert.ok((await readoutsOf(page, 'attn-cost-curve')).some((x) => x.startsWith('25,600,000,000')), (await readoutsOf(page, 'attn-cost-curve')).join(' | '));
  // a property set by the page: n = 1000 gives 1000² · 64 = 64,000,000
  await page.evaluate(async () => {
    const el = document.querySelector('attn-cost-curve');
    el.n = 1000;
    await el.updateComplete;
  });
  assert.ok((await readoutsOf(page, 'attn-cost-curve')).some((x) => x.startsWith('64,000,000')), (await readoutsOf(page, 'attn-cost-curve')).join(' | '));
  // a change through the widget's own control reaches the page as a CustomEvent
  await page.evaluate(() => {
    const sel = document.querySelector('attn-cost-curve').shadowRoot.querySelector('select');
    sel.value = '128';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => document.getElementById('last-change').textContent.startsWith('cost-curve:'), null, { timeout: 30000 });
  assert.equal(await page.locator('#last-change').textContent(), 'cost-curve: {"n":1000,"d":128,"axes":"linear","view":"model"}');
  // everything came from under the sub-path, the SIMD .wasm once
  assert.deepEqual(report.requests.filter((u) => !u.startsWith(base)), [], 'requests outside the sub-path');
  assert.deepEqual(
    report.requests.filter((u) => u.endsWith('.wasm')),
    [`${base}node_modules/attnlab/dist/pkg/${simd ? 'attnlab-simd.wasm' : 'attnlab.wasm'}`],
  );
  await assertPartsDocumented(page, ['attn-cost-curve', 'attn-state-stepper']);
}

test(`(b) a plain page served under ${SUB_PATH} loads attnlab/widgets from node_modules and renders widgets in Chromium`, async () => {
  const { context, page, report } = await openRecorded(`${env.server.url}index.html`);
  try {
    await checkPlainPage(page, report, env.server.url);
    assert.equal(cleanReport(report), '');
  } finally {
    await context.close();
  }
});

test('(b) a browser without WebAssembly SIMD (Safari < 16.4) gets the baseline .wasm, and the same page works', async () => {
  const { context, page, report } = await openRecorded(`${env.server.url}index.html`, { noSimd: true });
  try {
    await checkPlainPage(page, report, env.server.url, { simd: false });
    assert.equal(cleanReport(report), '');
  } finally {
    await context.close();
  }
});

test('(b) the same through an import map: bare `attnlab` and `attnlab/widgets` in a plain page', async () => {
  const { context, page, report } = await openRecorded(`${env.server.url}importmap.html`);
  try {
    await waitForWidgets(page, ['attn-order-toggle']);
    await page.waitForFunction(() => document.getElementById('core').textContent !== 'loading', null, { timeout: 30000 });
    assert.equal(await page.locator('#core').textContent(), `attnlab ${env.installed.version}, WebAssembly SIMD`);
    assert.deepEqual(await page.evaluate(() => document.querySelector('attn-order-toggle').state), { order: 'qk', n: 5, d: 4, seed: 1 });
    const shared = await page.evaluate(async () => document.querySelector('attn-order-toggle').core === (await (await import('attnlab')).loadCore()));
    assert.ok(shared, 'the widget and the import-mapped `attnlab` share one core');
    await assertPartsDocumented(page, ['attn-order-toggle']);
    assert.equal(cleanReport(report), '');
  } finally {
    await context.close();
  }
});

test(`(d) the plain page under a strict CSP (${STRICT_CSP}) works with no violation`, async () => {
  const { context, page, report, response } = await openRecorded(`${env.cspServer.url}index.html`);
  try {
    assert.equal(response.headers()['content-security-policy'], STRICT_CSP);
    await checkPlainPage(page, report, env.cspServer.url);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
    assert.equal(cleanReport(report), '');
    // control: the policy is enforced and violations are seen (an inline script is refused)
    await page.evaluate(() => document.head.append(Object.assign(document.createElement('script'), { textContent: 'window.__inline = 1' })));
    await page.waitForFunction(() => window.__csp.length > 0, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => window.__inline), undefined);
  } finally {
    await context.close();
  }
});

test('(d) every registered widget renders under the strict CSP from the installed package, with no violation', async () => {
  const { context, page, report } = await openRecorded(`${env.cspServer.url}all.html`);
  try {
    const tags = await page.evaluate(async () => {
      const { WIDGET_NAMES, tagName } = await import('./node_modules/attnlab/dist/pkg/widgets.js');
      return WIDGET_NAMES.map(tagName);
    });
    await waitForWidgets(page, tags);
    const empty = await page.evaluate(
      (list) =>
        list
          .map((t) => document.querySelector(t).shadowRoot)
          .filter((root) => !root.querySelector('.figure svg, .figure canvas'))
          .map((root) => `${root.host.localName}: ${root.querySelector('.error')?.textContent.trim() || root.querySelector('.figure')?.textContent.trim().slice(0, 200)}`),
      tags,
    );
    assert.deepEqual(empty, [], 'widgets without a drawn figure');
    await assertPartsDocumented(page, tags);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
    assert.equal(cleanReport(report), '');
  } finally {
    await context.close();
  }
});

test("(d) control: without 'wasm-unsafe-eval' the core is refused and the widget says so (the CSP line is needed)", async () => {
  const server = await serve({ root: env.site, base: SUB_PATH, headers: { 'content-security-policy': "default-src 'self'; script-src 'self'" } });
  const { context, page, report } = await openRecorded(`${server.url}index.html`);
  try {
    await page.waitForFunction(() => /core could not be loaded/.test(document.querySelector('attn-cost-curve')?.shadowRoot?.querySelector('.error')?.textContent ?? ''), null, {
      timeout: 30000,
    });
    const csp = await page.evaluate(() => window.__csp);
    assert.ok(csp.some((v) => v.startsWith('script-src: wasm-eval')), `expected a script-src violation for wasm, got ${JSON.stringify(csp)}`);
    const shown = await page.evaluate(() => document.querySelector('attn-cost-curve').shadowRoot.querySelector('.error').textContent);
    assert.match(shown, /Content Security policy/i, shown);
    assert.deepEqual(report.errors, [], 'no uncaught page error: the failure is handled by the widget');
  } finally {
    await context.close();
    await server.close();
  }
});

// ----- (c): a Vite app ---------------------------------------------------------------------------

async function checkViteApp(url, wasmPattern) {
  const { context, page, report } = await openRecorded(url);
  try {
    await waitForWidgets(page, ['attn-attention-grid']);
    await page.waitForFunction(() => document.getElementById('core').textContent !== 'loading', null, { timeout: 30000 });
    assert.equal(await page.locator('#core').textContent(), `attnlab ${env.installed.version}, WebAssembly SIMD`);
    assert.deepEqual(await page.evaluate(() => document.querySelector('attn-attention-grid').state), { n: 4, d: 8, seed: 1, row: 3, col: 1 });
    assert.ok((await page.evaluate(() => document.querySelector('attn-attention-grid').shadowRoot.querySelectorAll('.figure svg, .figure canvas').length)) > 0);
    const wasm = report.requests.filter((u) => /\.wasm(\?|$)/.test(u));
    assert.equal(wasm.length, 1, wasm.join(', '));
    assert.match(wasm[0], wasmPattern);
    await assertPartsDocumented(page, ['attn-attention-grid']);
    assert.equal(cleanReport(report), '');
  } finally {
    await context.close();
  }
}

test('(c) a Vite app depending on the tarball builds (repo Vite, app as root) and renders a widget in Chromium', async () => {
  await env.viteBuild();
  const assets = await readdir(join(env.app, 'dist/assets'));
  assert.ok(assets.some((f) => /^attnlab-simd-[\w-]+\.wasm$/.test(f)) && assets.some((f) => /^attnlab-[\w-]+\.wasm$/.test(f)), `both .wasm files emitted: ${assets.join(', ')}`);
  env.appServer = await serve({ root: join(env.app, 'dist'), base: '/apps/course/' });
  await checkViteApp(`${env.appServer.url}`, /\/apps\/course\/assets\/attnlab-simd-[\w-]+\.wasm$/);
});

// Vite's dev server on the app; `config` replaces the app's vite.config.js when given.
async function devServer(config) {
  const { createServer } = await import('vite');
  const server = await createServer({
    root: env.app,
    ...(config ? { configFile: false, ...config } : { configFile: join(env.app, 'vite.config.js') }),
    logLevel: 'silent',
    // any free port from Vite's default up (port 0 means "default" to Vite)
    server: { host: '127.0.0.1', strictPort: false, hmr: false },
    cacheDir: join(env.tmp, config ? 'vite-cache-control' : 'vite-cache'),
  });
  await server.listen();
  return { server, url: `http://127.0.0.1:${server.httpServer.address().port}/` };
}

test("(c) the same app on Vite's dev server, with optimizeDeps.exclude: ['attnlab']", async () => {
  const { server, url } = await devServer();
  env.devServer = server;
  await checkViteApp(url, /\/node_modules\/attnlab\/dist\/pkg\/attnlab-simd\.wasm$/);
});

test("(c) control: without optimizeDeps.exclude, Vite's dev pre-bundling moves the module away from its .wasm (the README line is needed)", async () => {
  const { server, url } = await devServer({ base: './' });
  const { context, page } = await openRecorded(url);
  try {
    await page.waitForFunction(() => /core could not be loaded/.test(document.querySelector('attn-attention-grid')?.shadowRoot?.querySelector('.error')?.textContent ?? ''), null, {
      timeout: 60000,
    });
    const shown = await page.evaluate(() => document.querySelector('attn-attention-grid').shadowRoot.querySelector('.error').textContent);
    // the .wasm URL now points into Vite's deps cache, where the dev server answers with HTML
    assert.match(shown, /expected magic word 00 61 73 6d/, shown);
  } finally {
    await context.close();
    await server.close();
  }
});
