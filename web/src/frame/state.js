// One declared table per widget holds all of its configuration. The same table drives the
// reactive properties, the HTML attributes, the URL round-trip and validation, so a shareable
// link and an attribute set on the element mean exactly the same thing.
//
// An entry: { key, type: 'int' | 'number' | 'enum' | 'bool', default, min, max, values, label }
//   int / number  clamped to [min, max]; int rounds
//   enum          one of `values` (numbers or strings; the URL keeps their text)
//   bool          'true' / 'false' / '1' / '0' in the URL and in attributes

export function coerce(entry, raw) {
  if (raw === undefined || raw === null || raw === '') return undefined;
  switch (entry.type) {
    case 'int':
    case 'number': {
      const x = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(x)) return undefined;
      const v = entry.type === 'int' ? Math.round(x) : x;
      const lo = entry.min ?? -Infinity;
      const hi = entry.max ?? Infinity;
      return Math.min(hi, Math.max(lo, v));
    }
    case 'enum': {
      const hit = entry.values.find((v) => String(v) === String(raw));
      return hit === undefined ? undefined : hit;
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1' || raw === '') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      return undefined;
    default:
      throw new TypeError(`state entry ${entry.key}: unknown type ${entry.type}`);
  }
}

export function defaults(table) {
  return Object.fromEntries(table.map((e) => [e.key, e.default]));
}

function paramName(prefix, key) {
  return prefix ? `${prefix}.${key}` : key;
}

// Values found in `params` (a URLSearchParams) for this table; invalid or absent entries are left out.
export function readParams(table, params, prefix) {
  const out = {};
  for (const e of table) {
    const v = coerce(e, params.get(paramName(prefix, e.key)));
    if (v !== undefined) out[e.key] = v;
  }
  return out;
}

// Writes `values` into `params`; entries equal to their default are removed so links stay short,
// except those marked `always` (a seed, so a shared link reproduces the same vectors).
export function writeParams(table, values, params, prefix) {
  for (const e of table) {
    const name = paramName(prefix, e.key);
    const v = values[e.key];
    if (v === undefined || (v === e.default && !e.always)) params.delete(name);
    else params.set(name, String(v));
  }
  return params;
}

// Lit property declarations for a table: attribute names are the keys in lower case.
export function litProperties(table) {
  const props = {};
  for (const e of table) {
    props[e.key] = {
      attribute: e.key.toLowerCase(),
      converter: {
        fromAttribute: (value) => coerce(e, e.type === 'bool' && value === null ? 'false' : value) ?? e.default,
        toAttribute: (value) => (e.type === 'bool' ? (value ? '' : null) : String(value)),
      },
    };
  }
  return props;
}
