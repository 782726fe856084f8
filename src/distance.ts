// "Did you mean": the distance between two names, and the close ones among candidates. One copy for
// values keys, sslmode values, bucket and database names.

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const w = b.length + 1;
  let prev2 = new Array<number>(w).fill(0);
  let prev = Array.from({ length: w }, (_, j) => j);
  let cur = new Array<number>(w).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

/**
 * The candidates close to `want` (case-insensitive): within max(2, length/5) edits, or one a prefix of
 * the other (a missing or extra suffix). Closest first, at most `limit`; `want` itself is never listed.
 */
export function closeNames(want: string, candidates: readonly string[], limit = 3): string[] {
  const w = want.toLowerCase();
  return [...new Set(candidates)]
    .filter((n) => n !== want)
    .map((n) => ({ n, l: n.toLowerCase(), dist: editDistance(w, n.toLowerCase()) }))
    .filter((x) => x.dist <= Math.max(2, Math.floor(w.length / 5)) || (x.l.length >= 3 && (x.l.startsWith(w) || w.startsWith(x.l))))
    .sort((a, b) => a.dist - b.dist || a.n.localeCompare(b.n))
    .slice(0, limit)
    .map((x) => x.n);
}
