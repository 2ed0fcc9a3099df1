/**
 * Int8 copy of every combined vector, indexed by hnswlib label, used only to
 * pre-score candidates of an exact scan quickly in JS.
 *
 * Why: hnswlib already stores the float32 vectors, but reading them back via
 * `getPoint` costs ~130 µs per 1,840-d point (one JS Number per dimension), so
 * an exact scan of 2,000 products via getPoint takes ~270 ms. A float32 JS copy
 * would double the vector memory; this int8 copy costs 1 byte/dim (25% of the
 * float32 data) and scans 2,000 × 1,840-d in a few ms. Final candidates are
 * re-scored exactly from hnswlib (`getPoint`), so returned scores are exact.
 *
 * Quantisation: per product and per channel segment, code = round(x / s) with
 * s = max|x| / 127.
 */
import type { Layout } from "./combined-vector";


export class QuantizedStore {
  codes: Int8Array;
  /** 3 scales per row (image, color, text) */
  scales: Float32Array;
  private cap: number;

  constructor(
    private readonly layout: Layout,
    capacity: number,
  ) {
    this.cap = Math.max(1, capacity);
    this.codes = new Int8Array(this.cap * layout.total);
    this.scales = new Float32Array(this.cap * 3);
  }

  get capacity(): number {
    return this.cap;
  }

  get bytes(): number {
    return this.codes.byteLength + this.scales.byteLength;
  }

  grow(newCapacity: number): void {
    if (newCapacity <= this.cap) return;
    const codes = new Int8Array(newCapacity * this.layout.total);
    codes.set(this.codes);
    const scales = new Float32Array(newCapacity * 3);
    scales.set(this.scales);
    this.codes = codes;
    this.scales = scales;
    this.cap = newCapacity;
  }

  set(row: number, combined: ArrayLike<number>): void {
    if (row >= this.cap) this.grow(Math.max(row + 1, this.cap * 2));
    const D = this.layout.total;
    const base = row * D;
    for (let ci = 0; ci < 3; ci++) {
      const off = this.layout.offsets[ci];
      const end = ci < 2 ? this.layout.offsets[ci + 1] : D;
      let max = 0;
      for (let i = off; i < end; i++) {
        const a = Math.abs(combined[i]);
        if (a > max) max = a;
      }
      const s = max > 0 ? max / 127 : 0;
      this.scales[row * 3 + ci] = s;
      for (let i = off; i < end; i++) {
        this.codes[base + i] = s > 0 ? Math.round(combined[i] / s) : 0;
      }
    }
  }

  /** Copies one row from another store (used by compaction). */
  copyRow(from: QuantizedStore, fromRow: number, toRow: number): void {
    if (toRow >= this.cap) this.grow(Math.max(toRow + 1, this.cap * 2));
    const D = this.layout.total;
    this.codes.set(from.codes.subarray(fromRow * D, fromRow * D + D), toRow * D);
    this.scales.set(from.scales.subarray(fromRow * 3, fromRow * 3 + 3), toRow * 3);
  }

  /** Approximate dot product of the (combined, float) query with a row. */
  approxDot(query: Float32Array, row: number): number {
    return this.channelDot(query, row, 0) + this.channelDot(query, row, 1) + this.channelDot(query, row, 2);
  }

  /** Approximate per-channel dot products of the (combined, float) query with a row. */
  approxSegmentDots(query: Float32Array, row: number): [number, number, number] {
    return [this.channelDot(query, row, 0), this.channelDot(query, row, 1), this.channelDot(query, row, 2)];
  }

  /** Approximate dot product of channel `ci`'s segment of the query with that of a row. */
  private channelDot(query: Float32Array, row: number, ci: number): number {
    const s = this.scales[row * 3 + ci];
    if (s === 0) return 0;
    const D = this.layout.total;
    const base = row * D;
    const codes = this.codes;
    const off = this.layout.offsets[ci];
    const end = ci < 2 ? this.layout.offsets[ci + 1] : D;
    let acc = 0;
    for (let i = off; i < end; i++) acc += query[i] * codes[base + i];
    return s * acc;
  }

  /**
   * A generous bound (6σ) on |approxDot − exactDot| for the given rows: rounding
   * errors are uniform in ±s/2, so σ = sqrt(Σ_c s_c²/12 · ‖q_c‖²), using the
   * largest per-channel scale among `rows`.
   */
  errorMargin(query: Float32Array, rows: ArrayLike<number>): number {
    const D = this.layout.total;
    let variance = 0;
    for (let ci = 0; ci < 3; ci++) {
      let maxS = 0;
      for (let i = 0; i < rows.length; i++) maxS = Math.max(maxS, this.scales[rows[i] * 3 + ci]);
      const off = this.layout.offsets[ci];
      const end = ci < 2 ? this.layout.offsets[ci + 1] : D;
      let qq = 0;
      for (let i = off; i < end; i++) qq += query[i] * query[i];
      variance += ((maxS * maxS) / 12) * qq;
    }
    return 6 * Math.sqrt(variance);
  }

  /**
   * The `r` rows with the highest approximate score among `rows`, best first.
   */
  topRows(query: Float32Array, rows: ArrayLike<number>, r: number): { row: number; approx: number }[] {
    const heap = new MinHeap(r);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      heap.push(this.approxDot(query, row), row);
    }
    return heap.drainDescending();
  }

  /**
   * Rows [0, rows) as two byte views of the live arrays (scales, then codes): what a snapshot
   * writes, and what a load reads the file back into — no copy either way: a 20k-product shop's
   * store is ~37 MB, and copying it into fresh pages blocked the event loop for 150–300 ms. The
   * views show later writes to those rows: write them out before the store changes again
   * (snapshots do so while the index holds off mutations; see ShopVectorIndex.save).
   */
  views(rows: number): [scales: Buffer, codes: Buffer] {
    return [
      Buffer.from(this.scales.buffer, this.scales.byteOffset, rows * 3 * 4),
      Buffer.from(this.codes.buffer, this.codes.byteOffset, rows * this.layout.total),
    ];
  }
}

/** Fixed-size min-heap keeping the `cap` largest scores. */
class MinHeap {
  private scores: Float64Array;
  private items: Int32Array;
  private n = 0;

  constructor(private readonly cap: number) {
    this.scores = new Float64Array(Math.max(1, cap));
    this.items = new Int32Array(Math.max(1, cap));
  }

  push(score: number, item: number): void {
    if (this.cap <= 0) return;
    if (this.n < this.cap) {
      let i = this.n++;
      this.scores[i] = score;
      this.items[i] = item;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (this.scores[p] <= this.scores[i]) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (score <= this.scores[0]) return;
    this.scores[0] = score;
    this.items[0] = item;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.n && this.scores[l] < this.scores[m]) m = l;
      if (r < this.n && this.scores[r] < this.scores[m]) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number) {
    const s = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = s;
    const t = this.items[a];
    this.items[a] = this.items[b];
    this.items[b] = t;
  }

  drainDescending(): { row: number; approx: number }[] {
    const out: { row: number; approx: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ row: this.items[i], approx: this.scores[i] });
    out.sort((a, b) => b.approx - a.approx);
    return out;
  }
}
