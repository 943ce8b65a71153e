// StatusBoard: NERSC's resources grouped as NERSC groups them, each with a coloured status,
// its notes and current outages, and a 14-day timeline of planned outages (hover or click a
// bar for its description). The kernel refreshes the board while a view reports itself
// visible; what changed since the last look is marked until "Mark as seen".

import { frameScheduler, h, setText } from "../lib/dom";
import { applyStateColours } from "../lib/states";
import { applyStatusColours } from "../lib/status_colours";
import { defineView } from "../lib/view";
import { groupSections } from "./groups";
import { type BoardView, chip, clock, label, type Model, rank } from "./model";
import type { FromView, ToView } from "./protocol";
import { outageKey, timelines } from "./timeline";

/** Tell the kernel whether this view is on screen (and the page visible): it refreshes the
 *  board only while one is. */
function reportVisibility(view: BoardView, root: HTMLElement): void {
  const viewId = Math.random().toString(36).slice(2);
  let visible = false;
  let onScreen = false;
  const report = () => {
    const now = onScreen && document.visibilityState !== "hidden";
    if (now === visible) return;
    visible = now;
    try {
      view.send({ type: "visible", view: viewId, value: now });
    } catch {
      // no kernel: nothing to refresh
    }
  };
  if (typeof IntersectionObserver === "function") {
    const observer = new IntersectionObserver((entries) => {
      onScreen = entries.some((e) => e.isIntersecting);
      report();
    });
    observer.observe(root);
    view.cleanup(() => observer.disconnect());
  } else {
    onScreen = true;
  }
  view.listen(document, "visibilitychange", report);
  report();
  view.cleanup(() => {
    onScreen = false;
    report();
  });
}

/** The head (title, counts by status, when checked, Refresh, Mark as seen) and the messages
 *  under it (the kernel's notice and error, what changed since the last look). */
function boardHead(view: BoardView): { el: HTMLElement[]; paint: () => void } {
  const { model } = view;
  const counts = h("span", { class: "sfj-counts", "data-testid": "status-counts" });
  const checked = h("span", { class: "sfj-muted sfj-small", "data-testid": "status-checked" });
  const refreshAttrs = { class: "sfj-btn", type: "button", "data-testid": "status-refresh" };
  const refreshBtn = h("button", { ...refreshAttrs, text: "Refresh", title: "Read the status now" });
  const seenBtn = h("button", { class: "sfj-btn", type: "button", "data-testid": "status-seen", text: "Mark as seen" });
  const message = (level: string, testid: string) =>
    h("div", { class: "sfj-message", "data-level": level, "data-testid": testid, hidden: true });
  const notice = message("warning", "status-notice");
  const error = message("error", "status-error");
  const changes = message("warning", "status-changes");
  const title = h("span", { class: "sfj-card__name", text: "NERSC status" });
  const spacer = h("span", { class: "sfj-spacer" });
  const head = h("div", { class: "sfj-card__head" }, title, counts, spacer, checked, refreshBtn, seenBtn);
  refreshBtn.addEventListener("click", () => {
    view.send({ type: "refresh" });
    setText(refreshBtn, "Refreshing…");
  });
  seenBtn.addEventListener("click", () => view.send({ type: "seen" }));

  const paint = () => {
    const resources = model.get("resources") ?? [];
    const byStatus = new Map<string, number>();
    for (const r of resources) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const sorted = Array.from(byStatus.entries()).sort(([a], [b]) => rank(a) - rank(b));
    counts.replaceChildren(...sorted.map(([s, n]) => chip(s, n)));
    const interval = model.get("interval");
    const every = interval >= 60 ? `${Math.round(interval / 60)} min` : `${interval} s`;
    const at = model.get("checked_at");
    setText(checked, at ? `checked ${clock(at)} · refreshes every ${every} while visible` : "");
    setText(refreshBtn, "Refresh");
    const changed = resources.filter((r) => r.changed);
    changes.hidden = changed.length === 0;
    seenBtn.hidden = changed.length === 0;
    const what = changed.map((r) =>
      r.was ? `${r.full_name} ${label(r.was)} → ${label(r.status)}` : `${r.full_name} (notes)`,
    );
    setText(changes, changed.length ? `Changed since your last look: ${what.join("; ")}` : "");
    notice.hidden = !model.get("notice");
    setText(notice, model.get("notice"));
    error.hidden = !model.get("error");
    setText(error, model.get("error"));
  };
  return { el: [head, notice, error, changes], paint };
}

export default defineView<Model, ToView, FromView>("status board", (view) => {
  const { model } = view;
  const { schedule, cancel } = frameScheduler(() => paint());
  view.cleanup(cancel);
  const lines = timelines(view, schedule);
  const head = boardHead(view);
  const groupsEl = h("div", { "data-testid": "status-groups" });
  const now = h("i", { class: "sfj-now" });
  const legend = h(
    "span",
    { class: "sfj-st-legend" },
    h("span", {}, h("i"), "planned outage"),
    h("span", {}, now, "outage now"),
  );
  const foot = h("span", { text: "Timeline: now and the next days; hover or click a bar for its description." });
  const root = h(
    "div",
    { class: "sfj-root sfj-status", "data-testid": "status-board" },
    ...head.el,
    groupsEl,
    lines.detail,
    h("div", { class: "sfj-st-foot" }, foot, legend),
  );
  applyStateColours(root);
  applyStatusColours(root);
  view.el.replaceChildren(root);

  let lastSignature = "";
  const paint = () => {
    head.paint();
    // Rows are rebuilt only when what they show changed (not at every refresh), so hovering,
    // focus and open sections survive; the timeline moves on every ten minutes.
    const resources = model.get("resources") ?? [];
    const selected = lines.selected();
    const signature = JSON.stringify([
      resources,
      model.get("outages"),
      selected,
      Math.floor(lines.windowStart() / 600_000),
    ]);
    if (signature === lastSignature) return;
    lastSignature = signature;
    const groups = groupSections(view, lines, resources);
    // keep open <details> open across repaints
    const openGroups = (el: HTMLElement) =>
      Array.from(el.querySelectorAll("details[open]"), (d) => d.closest("section")?.dataset.group);
    const open = new Set(openGroups(groupsEl));
    groupsEl.replaceChildren(...groups);
    for (const d of Array.from(groupsEl.querySelectorAll("details")))
      if (open.has(d.closest("section")?.dataset.group)) d.open = true;
    if (selected) lines.showDetail(model.get("outages").find((o) => outageKey(o) === selected));
    if (!resources.length)
      groupsEl.replaceChildren(h("div", { class: "sfj-muted sfj-empty", text: "No status read yet." }));
  };

  reportVisibility(view, root);
  view.watch(["resources", "outages", "checked_at", "notice", "error", "interval"], schedule);
  schedule();
});
