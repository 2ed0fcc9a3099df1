/**
 * The event loop's blocks while some work runs, as benchmarks measure them: a 1 ms interval timer
 * whose late firings are the stretches the loop could not turn (a block of B ms delays it by ~B).
 */

/** Runs `work` with the probe on; its longest block, every block over `reportOverMs`, and the wall time. */
export async function probeEventLoop(work: () => Promise<void>, reportOverMs = 50): Promise<{ worstMs: number; over: number[]; wallMs: number }> {
  let last = performance.now();
  let worst = 0;
  const over: number[] = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last - 1;
    if (gap > worst) worst = gap;
    if (gap > reportOverMs) over.push(Math.round(gap));
    last = now;
  }, 1);
  // Let the timer settle, then measure the work alone.
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  worst = 0;
  over.length = 0;
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(timer);
  return { worstMs: worst, over, wallMs };
}
