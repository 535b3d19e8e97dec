// Turns a message's buffer references back into typed arrays (exmc_widgets/protocol.py).
const ARRAYS = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
};

function typedArray(ref, buffers) {
  const Kind = ARRAYS[ref.dtype];
  if (Kind === undefined) throw new Error(`exmc: unknown dtype ${ref.dtype}`);
  const view = buffers[ref["$buffer"]];
  // A buffer may sit at any offset of the websocket frame: copy it to an aligned one.
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Kind(bytes);
}

export function decode(value, buffers) {
  if (Array.isArray(value)) return value.map((v) => decode(v, buffers));
  if (value !== null && typeof value === "object") {
    if ("$buffer" in value) return typedArray(value, buffers);
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v, buffers);
    return out;
  }
  return value;
}

function concat(a, b) {
  if (Array.isArray(a)) return a.concat(Array.from(b));
  const out = new a.constructor(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// Apply ops to a plain store of sources (id -> {column: array}); the same rules as
// ColumnDataSource.stream and replacing .data, and as protocol.apply_ops in Python.
export function applyOps(sources, ops) {
  for (const op of ops) {
    if (op.op === "replace") {
      sources.set(op.source, { ...op.data });
    } else if (op.op === "stream") {
      const old = sources.get(op.source);
      if (old === undefined) {
        sources.set(op.source, { ...op.data });
      } else {
        const next = {};
        for (const [k, v] of Object.entries(op.data)) next[k] = k in old ? concat(old[k], v) : v;
        sources.set(op.source, next);
      }
    } else if (op.op === "table") {
      sources.set("$table", { columns: op.columns, rows: op.rows, flagged: op.flagged });
    } else {
      throw new Error(`exmc: unknown op ${op.op}`);
    }
  }
}
