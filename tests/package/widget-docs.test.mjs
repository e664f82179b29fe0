// Every widget `attnlab/widgets` registers is documented (docs/widgets.md) and typed
// (web/src/widgets.d.ts, shipped as dist/pkg/widgets.d.ts), checked against the widget sources:
// state tables, events, ::part names and CSS custom properties. When a widget changes, regenerate
// the page with `node tests/package/widget-docs.mjs` and update the .d.ts by hand.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DOCS, collectWidgets, docSection, documentedParts } from './widget-docs.mjs';

const REGEN = 'regenerate with `node tests/package/widget-docs.mjs`';
const TYPES = fileURLToPath(new URL('../../web/src/widgets.d.ts', import.meta.url));
const SHIPPED_TYPES = fileURLToPath(new URL('../../dist/pkg/widgets.d.ts', import.meta.url));
let facts;
let docs;
let types;

before(async () => {
  facts = await collectWidgets();
  docs = readFileSync(DOCS, 'utf8');
  types = readFileSync(TYPES, 'utf8');
});

test('docs/widgets.md documents every registered widget: element, attributes with type and default, events, parts, CSS variables, methods', () => {
  assert.ok(facts.widgets.length >= 12, `only ${facts.widgets.length} widgets registered`);
  const problems = [];
  for (const w of facts.widgets) {
    const sec = docSection(docs, w.tag);
    if (!sec) {
      problems.push(`<${w.tag}>: no section`);
      continue;
    }
    if (!docs.includes(`[\`<${w.tag}>\`](#${w.tag})`)) problems.push(`<${w.tag}>: missing from the index table`);
    for (const e of w.table) {
      const def = typeof e.default === 'string' ? `'${e.default}'` : String(e.default);
      const row = sec.split('\n').find((l) => l.startsWith(`| \`${e.key}\` |`));
      if (!row) problems.push(`<${w.tag}>: attribute ${e.key} undocumented`);
      else {
        if (!row.includes(`| \`${def}\` |`)) problems.push(`<${w.tag}>: ${e.key} default should be ${def}: ${row}`);
        for (const v of e.values ?? []) if (!row.includes(`\`${typeof v === 'string' ? `'${v}'` : v}\``)) problems.push(`<${w.tag}>: ${e.key} value ${v} not listed`);
        if (e.min !== undefined && !row.includes(`${e.min} … ${e.max}`)) problems.push(`<${w.tag}>: ${e.key} range ${e.min} … ${e.max} not given`);
      }
    }
    // the attribute names really are the keys (lower case), as the page says
    assert.deepEqual(w.attributes, w.table.map((e) => e.key.toLowerCase()), `<${w.tag}> observed attributes`);
    for (const ev of w.events) if (!sec.includes(`| \`${ev}\` |`)) problems.push(`<${w.tag}>: event ${ev} undocumented`);
    const parts = documentedParts(docs, w.tag);
    for (const part of w.parts) if (!parts.includes(part)) problems.push(`<${w.tag}>: part ${part} undocumented`);
    for (const v of w.cssVars) if (!new RegExp(`\`${v}\``).test(sec)) problems.push(`<${w.tag}>: CSS variable ${v} undocumented`);
    for (const m of w.methods) if (!sec.includes(`\`${m}()\``)) problems.push(`<${w.tag}>: method ${m}() undocumented`);
  }
  for (const v of facts.theme) if (!docs.includes(`| \`${v.name}\` |`)) problems.push(`theme variable ${v.name} undocumented`);
  assert.deepEqual(problems, [], `docs/widgets.md is behind the sources; ${REGEN}`);
  // no section for a widget that is no longer registered
  const documented = [...docs.matchAll(/^## `<([\w-]+)>`/gm)].map((m) => m[1]);
  assert.deepEqual(documented, facts.widgets.map((w) => w.tag), `documented elements vs registered ones; ${REGEN}`);
});

test('web/src/widgets.d.ts types every registered widget: name, tag, state keys and values, public methods', () => {
  const problems = [];
  const block = (start) => {
    const i = types.indexOf(start);
    return i < 0 ? null : types.slice(i, types.indexOf('\n}', i));
  };
  const names = block('export type WidgetName =');
  for (const w of facts.widgets) {
    if (!names?.includes(`'${w.name}'`)) problems.push(`WidgetName lacks '${w.name}'`);
    if (!new RegExp(`'${w.tag}': ${w.className}Element;`).test(types)) problems.push(`HTMLElementTagNameMap lacks '${w.tag}': ${w.className}Element`);
    const state = block(`export interface ${w.className}State {`);
    if (!state) {
      problems.push(`no interface ${w.className}State`);
      continue;
    }
    for (const e of w.table) {
      // the member's declaration, which may span lines (long unions), as one line
      const at = state.search(new RegExp(`\\n\\s*${e.key}:`));
      const line = at < 0 ? null : state.slice(at, state.indexOf(';', at) + 1).replace(/\s+/g, ' ');
      if (!line) {
        problems.push(`${w.className}State lacks ${e.key}`);
        continue;
      }
      const want = { int: ['number'], number: ['number'], bool: ['boolean'], enum: (e.values ?? []).map((v) => (typeof v === 'string' ? `'${v}'` : String(v))) }[e.type];
      for (const t of want) if (!new RegExp(`[:|]\\s*${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[|;]`).test(line)) problems.push(`${w.className}State.${e.key} lacks ${t}: ${line.trim()}`);
    }
    const element = types.slice(types.indexOf(`export interface ${w.className}Element`));
    const body = element.slice(0, element.indexOf('\n') + 1).endsWith('{}\n') ? '' : element.slice(0, element.indexOf('\n}'));
    for (const m of w.methods) if (!body.includes(`${m}(`)) problems.push(`${w.className}Element lacks ${m}()`);
  }
  assert.deepEqual(problems, []);
  if (existsSync(SHIPPED_TYPES)) assert.equal(readFileSync(SHIPPED_TYPES, 'utf8'), types, 'dist/pkg/widgets.d.ts differs from web/src/widgets.d.ts: rebuild (scripts/build.sh web)');
});
