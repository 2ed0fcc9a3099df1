/** A tokenised batch, laid out as the int64 [batch, seqLen] tensors transformer exports take. */
export interface TokenBatch {
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Number of real (non-padding) tokens per text, special tokens included. */
  lengths: number[];
}

/** Packs per-text id lists into a padded batch (each list already truncated and wrapped in special tokens). */
export function packBatch(rows: number[][], seqLen: number, padId: number): TokenBatch {
  const n = rows.length;
  const inputIds = new BigInt64Array(n * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n * seqLen);
  const tokenTypeIds = new BigInt64Array(n * seqLen);
  rows.forEach((ids, r) => {
    if (ids.length > seqLen) throw new RangeError(`row ${r} has ${ids.length} tokens, more than ${seqLen}`);
    ids.forEach((id, i) => {
      inputIds[r * seqLen + i] = BigInt(id);
      attentionMask[r * seqLen + i] = 1n;
    });
  });
  return { batch: n, seqLen, inputIds, attentionMask, tokenTypeIds, lengths: rows.map((r) => r.length) };
}

/** Row `r` of an int64 batch tensor as plain numbers (tests, debugging). */
export function row(t: BigInt64Array, seqLen: number, r: number): number[] {
  return Array.from(t.subarray(r * seqLen, (r + 1) * seqLen), Number);
}
