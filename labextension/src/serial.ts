// One poll action at a time, in the order asked.
//
// A Lumino Poll starts a new tick on refresh() (the panel shown again, the Refresh button,
// after a cancel) even while the last tick is still waiting for its answer. Two output reads
// from the same offset would show the same bytes twice, and two status answers could land
// out of order (an older one drawn over a newer). `inOrder(action)` runs each call after the
// previous one has settled: a refresh still gets fresh data, never a duplicate.

export function inOrder(action: () => Promise<void>): () => Promise<void> {
  let last: Promise<unknown> = Promise.resolve();
  return () => {
    const next = last.then(action);
    last = next.catch(() => undefined); // a failed call does not stop the next one
    return next; // rejected as the action was: the Poll backs off
  };
}
