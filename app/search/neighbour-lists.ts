/**
 * Each product's nearest neighbours in its shop's index, kept beside the graph, so that "similar to
 * product P" is read from a stored list instead of a vector search (issue 20). Rows are the index's
 * labels: a product whose vector changes gets a new label, so an entry for its old label no longer
 * names a live product and is skipped when read — a list never serves a deleted or changed product.
 *
 * Flat typed arrays, `slots` entries a row (label, score; best first), and a count per row
 * (UNKNOWN: no list yet). 40 slots cost 321 bytes a product. No I/O; ShopVectorIndex fills,
 * reads, saves and renumbers them (shop-vector-index.server.ts, index-snapshot.server.ts,
 * index-compaction.server.ts).
 */

/**
 * Entries kept per product: a page of the most results a merchant can choose (24) plus the spare
 * candidates rankSimilar asks for (half as many again: 36), so every page size can come from a list.
 */
export const NEIGHBOUR_SLOTS = 40;
const UNKNOWN = 255;

export class NeighbourLists {
  labels: Int32Array;
  scores: Float32Array;
  /** Entries in each row, or UNKNOWN. */
  counts: Uint8Array;
  private cap: number;

  constructor(
    readonly slots: number,
    capacity: number,
  ) {
    if (!Number.isInteger(slots) || slots < 1 || slots >= UNKNOWN) throw new RangeError(`slots must be an integer in [1, ${UNKNOWN - 1}]`);
    this.cap = Math.max(1, capacity);
    this.labels = new Int32Array(this.cap * slots);
    this.scores = new Float32Array(this.cap * slots);
    this.counts = new Uint8Array(this.cap).fill(UNKNOWN);
  }

  get capacity(): number {
    return this.cap;
  }

  get bytes(): number {
    return this.labels.byteLength + this.scores.byteLength + this.counts.byteLength;
  }

  grow(newCapacity: number): void {
    if (newCapacity <= this.cap) return;
    const labels = new Int32Array(newCapacity * this.slots);
    labels.set(this.labels);
    const scores = new Float32Array(newCapacity * this.slots);
    scores.set(this.scores);
    const counts = new Uint8Array(newCapacity).fill(UNKNOWN);
    counts.set(this.counts);
    this.labels = labels;
    this.scores = scores;
    this.counts = counts;
    this.cap = newCapacity;
  }

  /** Whether `row` has a list (possibly empty). */
  known(row: number): boolean {
    return row < this.cap && this.counts[row] !== UNKNOWN;
  }

  /** Entries of a known row (0 for an unknown one). */
  count(row: number): number {
    return this.known(row) ? this.counts[row] : 0;
  }

  labelAt(row: number, i: number): number {
    return this.labels[row * this.slots + i];
  }

  scoreAt(row: number, i: number): number {
    return this.scores[row * this.slots + i];
  }

  /** Forgets a row's list. */
  clear(row: number): void {
    if (row < this.cap) this.counts[row] = UNKNOWN;
  }

  /** Sets a row's list: at most `slots` entries of (label, score), best first. */
  set(row: number, entries: ReadonlyArray<{ label: number; score: number }>): void {
    if (row >= this.cap) this.grow(Math.max(row + 1, this.cap * 2));
    const n = Math.min(entries.length, this.slots);
    const base = row * this.slots;
    for (let i = 0; i < n; i++) {
      this.labels[base + i] = entries[i].label;
      this.scores[base + i] = entries[i].score;
    }
    this.counts[row] = n;
  }

  /**
   * Offers `label` (at `score`) to a known row's list: it takes its place by score when the list has
   * room or it beats the last entry; entries whose label `isLive` rejects are dropped first. A label
   * already listed is left as it is. Unknown rows are left unknown (their list is made whole later).
   */
  offer(row: number, label: number, score: number, isLive: (label: number) => boolean): void {
    if (!this.known(row)) return;
    const base = row * this.slots;
    let n = this.counts[row];
    for (let i = 0; i < n; i++) if (this.labels[base + i] === label) return;
    if (n === this.slots) {
      let w = 0;
      for (let i = 0; i < n; i++) {
        if (!isLive(this.labels[base + i])) continue;
        this.labels[base + w] = this.labels[base + i];
        this.scores[base + w] = this.scores[base + i];
        w++;
      }
      n = w;
      if (n === this.slots) {
        if (score <= this.scores[base + n - 1]) {
          this.counts[row] = n;
          return;
        }
        n--; // the last entry makes room
      }
    }
    let at = n;
    while (at > 0 && this.scores[base + at - 1] < score) {
      this.labels[base + at] = this.labels[base + at - 1];
      this.scores[base + at] = this.scores[base + at - 1];
      at--;
    }
    this.labels[base + at] = label;
    this.scores[base + at] = score;
    this.counts[row] = n + 1;
  }

  /**
   * The lists renumbered after a compaction: `oldToNew[old]` is a label's new number, or -1 when it
   * is gone. Rows and entries of gone labels are dropped.
   */
  remap(oldToNew: Int32Array, newCapacity: number): NeighbourLists {
    const out = new NeighbourLists(this.slots, newCapacity);
    const rows = Math.min(this.cap, oldToNew.length);
    for (let old = 0; old < rows; old++) {
      const row = oldToNew[old];
      if (row < 0 || !this.known(old)) continue;
      const from = old * this.slots;
      const to = row * this.slots;
      let w = 0;
      for (let i = 0; i < this.counts[old]; i++) {
        const l = this.labels[from + i];
        const mapped = l < oldToNew.length ? oldToNew[l] : -1;
        if (mapped < 0) continue;
        out.labels[to + w] = mapped;
        out.scores[to + w] = this.scores[from + i];
        w++;
      }
      out.counts[row] = w;
    }
    return out;
  }

  /**
   * Rows [0, rows) as byte views of the live arrays (counts, labels, scores): what a snapshot writes
   * (and reads back into). The views show later changes: write them out before the lists change.
   */
  views(rows: number): [counts: Buffer, labels: Buffer, scores: Buffer] {
    if (rows > this.cap) this.grow(rows);
    const view = (a: ArrayBufferView, bytes: number) => Buffer.from(a.buffer, a.byteOffset, bytes);
    return [view(this.counts, rows), view(this.labels, rows * this.slots * 4), view(this.scores, rows * this.slots * 4)];
  }
}
