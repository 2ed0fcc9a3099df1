/**
 * Handing the event loop back during long synchronous work (loading a big shop, parsing its
 * snapshot), so a web process keeps serving other requests in between.
 */

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A pause to await between steps of a long loop: it hands the event loop back once the current
 * stretch has run longer than `everyMs`, and is free otherwise.
 */
export function yielder(everyMs: number): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since <= everyMs) return;
    await nextTurn();
    since = performance.now();
  };
}
