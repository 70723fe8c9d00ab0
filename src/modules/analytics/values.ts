/**
 * Exact statistics of many durations in memory. The database hands each duration list over as
 * one comma-separated text (string_agg), which is far cheaper than a row per incident.
 */

/** "12,-3,4500" → [12, -3, 4500]; null or empty → []. */
export function parseIntegers(text: string | null | undefined): Float64Array {
  if (!text) return new Float64Array(0);
  let count = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) count++;
  const out = new Float64Array(count);
  let n = 0;
  let value = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c === 44) {
      out[n++] = negative ? -value : value;
      value = 0;
      negative = false;
    } else if (c === 45) negative = true;
    else if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    // A bigint difference is an integer; anything after a decimal point (none expected) is dropped.
    else if (c === 46) while (i + 1 < text.length && text.charCodeAt(i + 1) !== 44) i++;
  }
  return out;
}

/** The k-th smallest (0-based) by quickselect; reorders `xs`. */
function select(xs: Float64Array, k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i] < pivot) i++;
      while (xs[j] > pivot) j--;
      if (i <= j) {
        const t = xs[i];
        xs[i] = xs[j];
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k];
  }
  return xs[k];
}

export interface Summary {
  count: number;
  mean: number | null;
  p90: number | null;
  within: number;
}

/**
 * Count, mean (rounded to the ms), the exact 90th percentile by nearest rank (the smallest value
 * with at least 90% of the values at or below it) and how many are at or below `target`.
 */
export function summarize(values: Float64Array, target: number): Summary {
  const count = values.length;
  if (!count) return { count: 0, mean: null, p90: null, within: 0 };
  let sum = 0;
  let within = 0;
  for (let i = 0; i < count; i++) {
    sum += values[i];
    if (values[i] <= target) within++;
  }
  return { count, mean: Math.round(sum / count), p90: select(values, Math.ceil(0.9 * count) - 1), within };
}
