// Open-handle accounting for tests: counts the socket and timer handles Node reports as active.
const KINDS = ['TCPSocketWrap', 'PipeWrap', 'TLSWrap', 'Timeout'];

export function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of KINDS) counts[k] = 0;
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** Waits (up to `ms`) until no kind has more active handles than in `baseline`; returns the final counts. */
export async function settleHandles(baseline: Record<string, number>, ms = 2000): Promise<Record<string, number>> {
  const end = Date.now() + ms;
  for (;;) {
    const now = handleCounts();
    const over = KINDS.some((k) => (now[k] ?? 0) > (baseline[k] ?? 0));
    if (!over || Date.now() > end) return now;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts no more sockets/timers are active than in `baseline` (after letting closes finish). */
export async function expectNoLeaks(baseline: Record<string, number>, ms = 2000): Promise<void> {
  const now = await settleHandles(baseline, ms);
  for (const k of KINDS) {
    if ((now[k] ?? 0) > (baseline[k] ?? 0)) {
      throw new Error(`leaked handles: ${k} ${baseline[k]} → ${now[k]} (${process.getActiveResourcesInfo().join(', ')})`);
    }
  }
}
