// Injected before the page's own scripts: records every state a job card shows, so a test can
// assert the transitions a user saw (PENDING -> RUNNING -> COMPLETED) even when a state lasts
// less than one Playwright poll. window.__sfCards is a list of
//   {id: <job-id text>, events: [{state, lines, exit, counts, message, t}]}
// with one event per change of the card's state, tail line count, exit code, array counts
// or notices (job-message and saved-note, when shown).
(() => {
  const cards = new WeakMap();
  window.__sfCards = [];
  const text = (root, testid) => {
    const el = root.querySelector(`[data-testid="${testid}"]`);
    return el ? el.textContent.trim() : null;
  };
  const scan = () => {
    for (const card of document.querySelectorAll('[data-testid="job-card"]')) {
      let record = cards.get(card);
      if (!record) {
        record = { id: null, events: [] };
        cards.set(card, record);
        window.__sfCards.push(record);
      }
      record.id = text(card, "job-id") || record.id;
      // The stdout panel's lines (one element per line); the card also has a stderr panel.
      const linesEl =
        card.querySelector('[data-testid="log-tail"][data-stream="stdout"] [data-testid="log-lines"]') ||
        card.querySelector('[data-testid="log-lines"]');
      const lines = linesEl ? linesEl.children.length : 0;
      const countsEl = card.querySelector('[data-testid="array-counts"]');
      const counts = countsEl
        ? Array.from(countsEl.querySelectorAll("[data-state]"))
            .map((c) => {
              const n = c.getAttribute("data-count") ?? (c.textContent.match(/\d+/) || [""])[0];
              return `${c.getAttribute("data-state")}=${n}`;
            })
            .join(";")
        : null;
      // The notice shown: the card's message and its "Saved view" note (no kernel), if shown.
      const notes = ["job-message", "saved-note"].map((id) => card.querySelector(`[data-testid="${id}"]`));
      const event = {
        state: text(card, "job-state"),
        lines,
        exit: text(card, "job-exit-code"),
        counts,
        message: notes
          .filter((n) => n && !n.hidden)
          .map((n) => n.textContent.trim())
          .join(" | "),
      };
      const last = record.events[record.events.length - 1];
      if (
        !last ||
        last.state !== event.state ||
        last.lines !== event.lines ||
        last.exit !== event.exit ||
        last.counts !== event.counts ||
        last.message !== event.message
      ) {
        event.t = Date.now();
        record.events.push(event);
      }
    }
  };
  let queued = false;
  const schedule = () => {
    if (!queued) {
      queued = true;
      // A microtask: after the widget's synchronous DOM update, before the next paint.
      queueMicrotask(() => {
        queued = false;
        scan();
      });
    }
  };
  new MutationObserver(schedule).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
  });
})();
