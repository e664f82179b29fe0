// web/site/derived.js, the searches some prose numbers use, as a function body to evaluate in a page
// (the file is self-contained): `new Function(DERIVED_BODY)()` returns its exports as plain functions
// taking the core first, so a test can run them against the page's own core.
import { readFileSync } from 'node:fs';

const SOURCE = readFileSync(new URL('../../web/site/derived.js', import.meta.url), 'utf8');
const NAMES = [...SOURCE.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);

export const DERIVED_BODY = `${SOURCE.replace(/^export /gm, '')}\nreturn { ${NAMES.join(', ')} };`;
