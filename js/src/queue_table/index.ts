// QueueTable: a machine's queue, live. Rows arrive as diffs (upsert/done/remove) and are
// updated in place (each job keeps its <tr>); finished jobs move to the "done" section.

import { frameScheduler, h, setAttr, setText } from "../lib/dom";
import { requestSnapshot } from "../lib/protocol";
import { applyStateColours, stateOrder } from "../lib/states";
import { formatDuration, shortDateTime } from "../lib/time";
import { badge, confirmBar } from "../lib/ui";
import { defineView, type View } from "../lib/view";
import type { FromView, ToView } from "./protocol";
import { applyMessage, COLUMNS, compareBy, elapsedOf, matches, type Row, type SortKey, tableLines } from "./rows";
import { type RowState, Rows, reconcile } from "./table";

interface Model {
  machine: string;
  user: string;
  counts: Record<string, number>;
  can_cancel: boolean;
  updated: string;
}

type QueueView = View<Model, ToView, FromView>;

/** The title, the count of jobs per state and when the queue was read. */
function header(view: QueueView): { el: HTMLElement; paint: () => void } {
  const { model } = view;
  const title = h("span", { class: "sfj-card__name" });
  const counts = h("span", { class: "sfj-counts", "data-testid": "queue-counts" });
  const updated = h("span", { class: "sfj-muted sfj-small" });
  const paint = () => {
    const user = model.get("user");
    setText(title, `Queue on ${model.get("machine")}${user ? ` · ${user}` : ""}`);
    const perState = Object.entries(model.get("counts") ?? {})
      .filter(([s]) => s !== "done")
      .sort(([a], [b]) => stateOrder(a, b));
    counts.replaceChildren(...perState.map(([state, n]) => badge(state, undefined, n)));
    const when = model.get("updated");
    setText(updated, when ? `updated ${shortDateTime(when)}` : "");
  };
  view.watch(["counts", "updated", "machine"], paint);
  paint();
  return {
    el: h("div", { class: "sfj-card__head" }, title, counts, h("span", { class: "sfj-spacer" }), updated),
    paint,
  };
}

/** The column heads: a click (or Enter) sorts by the column, again reverses. */
function columnHeads(onSort: (key: SortKey) => void): HTMLTableRowElement {
  const row = h("tr");
  for (const [key, label] of COLUMNS) {
    const th = h("th", { text: label, "data-sort": key ?? undefined, scope: "col" });
    if (key) {
      th.classList.add("sfj-sortable");
      th.tabIndex = 0;
      th.addEventListener("click", () => onSort(key));
      th.addEventListener("keydown", (ev) => (ev.key === "Enter" || ev.key === " ") && onSort(key));
    }
    row.append(th);
  }
  return row;
}

/** Keep the state filter's options to the states in the table ("" for all). */
function paintFilterOptions(select: HTMLSelectElement, all: Row[]): void {
  const states = Array.from(new Set(all.map((r) => r.state))).sort(stateOrder);
  const current = select.value;
  const wanted = ["", ...states];
  if (Array.from(select.options, (o) => o.value).join() !== wanted.join()) {
    select.replaceChildren(...wanted.map((s) => h("option", { value: s, text: s || "All states" })));
    select.value = wanted.includes(current) ? current : "";
  }
}

interface Toolbar {
  el: HTMLElement;
  confirmEl: HTMLElement;
  visible: (r: Row) => boolean;
  /** Repaint the cancel button and the state filter's options. */
  paint: (all: Row[], cancellable: boolean) => void;
}

/** The filters (state, name or id) and "Cancel selected" with its confirmation. */
function toolbar(view: QueueView, state: RowState): Toolbar {
  const { model } = view;
  const { selected, schedule } = state;
  const stateFilter = h("select", {
    class: "sfj-input",
    "data-testid": "state-filter",
    "aria-label": "Filter by state",
  });
  const nameAttrs = {
    class: "sfj-input",
    type: "search",
    placeholder: "Filter by name or id",
    "data-testid": "name-filter",
  };
  const nameFilter = h("input", { ...nameAttrs, "aria-label": "Filter by name or job id" });
  const cancelAttrs = { class: "sfj-btn sfj-btn--danger-outline", type: "button", "data-testid": "cancel-button" };
  const cancelBtn = h("button", cancelAttrs);
  const confirm = confirmBar(() => {
    const jobids = Array.from(selected);
    view.send({ type: "cancel", jobids });
    for (const id of jobids) state.cancelling.add(id);
    selected.clear();
    schedule();
  });
  stateFilter.addEventListener("change", () => schedule());
  nameFilter.addEventListener("input", () => schedule());
  cancelBtn.addEventListener("click", () => {
    const n = selected.size;
    if (!n) return;
    const what = n === 1 ? `job ${Array.from(selected)[0]}` : `${n} jobs`;
    confirm.open(`Cancel ${what} on ${model.get("machine")}? This cannot be undone.`, `Yes, cancel ${what}`);
  });
  const paint = (all: Row[], cancellable: boolean) => {
    cancelBtn.hidden = !cancellable;
    cancelBtn.disabled = selected.size === 0;
    setText(cancelBtn, selected.size ? `Cancel selected (${selected.size})` : "Cancel selected");
    paintFilterOptions(stateFilter, all);
  };
  const el = h("div", { class: "sfj-toolbar" }, stateFilter, nameFilter, h("span", { class: "sfj-spacer" }), cancelBtn);
  return { el, confirmEl: confirm.el, visible: (r) => matches(r, stateFilter.value, nameFilter.value), paint };
}

/** The "done" section: finished jobs, folded. */
function doneSection(): { el: HTMLElement; body: HTMLElement; paint: (count: number) => void } {
  const body = h("tbody");
  const summary = h("summary");
  const head = h("thead", {}, h("tr", {}, ...COLUMNS.map(([, label]) => h("th", { text: label }))));
  const table = h("table", { class: "sfj-table" }, head, body);
  const el = h("details", { class: "sfj-done", "data-testid": "done-section" }, summary, table);
  const paint = (count: number) => {
    setText(summary, `Done (${count})`);
    el.hidden = count === 0;
  };
  return { el, body, paint };
}

const SAVED_NOTE =
  "Saved view: the kernel that made this table is not connected, and rows are not saved with the notebook. Run the cell again to see the queue.";

export default defineView<Model, ToView, FromView>("queue table", (view) => {
  const { model } = view;
  const rows = new Map<string, Row>();
  let sort: { key: SortKey; dir: number } = { key: "jobid", dir: -1 }; // newest first
  let kernelGone = false;
  const { schedule, cancel: cancelPaint } = frameScheduler(() => paint());
  view.cleanup(cancelPaint);
  const selected = new Set<string>();
  const selectable = () => model.get("can_cancel") && !kernelGone;
  const state: RowState = { selected, expanded: new Set(), cancelling: new Set(), schedule, selectable };
  const lines = new Rows(state);
  const head = header(view);
  const tools = toolbar(view, state);
  const headRow = columnHeads((key) => {
    sort = { key, dir: sort.key === key ? -sort.dir : 1 };
    schedule();
  });
  const body = h("tbody");
  const empty = h("div", { class: "sfj-muted sfj-empty", text: "No jobs in the queue." });
  const done = doneSection();
  const notice = h("div", { class: "sfj-message", "data-level": "info", hidden: true });
  const table = h("table", { class: "sfj-table" }, h("thead", {}, headRow), body);
  const attrs = { class: "sfj-root sfj-queue", "data-testid": "queue-table" };
  const wrap = h("div", { class: "sfj-table-wrap" }, table, empty);
  const root = h("div", attrs, head.el, tools.el, tools.confirmEl, notice, wrap, done.el);
  applyStateColours(root);
  view.el.replaceChildren(root);

  // -- the whole body, reconciled: existing <tr>s are moved, not rebuilt ----------------------
  const paint = () => {
    const cmp = compareBy(sort.key, sort.dir);
    const all = Array.from(rows.values());
    const active = all.filter((r) => !r.done).sort(cmp);
    const finished = all.filter((r) => r.done).sort(cmp);
    const ordered = tableLines(active, tools.visible, state.expanded).map((line) => {
      if (line.kind === "group") return lines.group(line.arrayId, line.tasks);
      const tr = lines.row(line.row);
      if (line.task) tr.classList.add("sfj-row--task");
      return tr;
    });
    reconcile(body, ordered);
    reconcile(
      done.body,
      finished.filter(tools.visible).map((r) => lines.row(r)),
    );
    const arrays = new Set(active.map((r) => r.array_job_id).filter(Boolean));
    for (const id of lines.groupEls.keys()) if (!arrays.has(id)) lines.groupEls.delete(id);
    // Selection only of what is still cancellable.
    for (const id of Array.from(selected)) {
      const r = rows.get(id);
      if (r?.done || (!r && !arrays.has(id))) selected.delete(id);
    }
    empty.hidden = ordered.length > 0;
    setText(empty, active.length ? "No job matches the filter." : "No jobs in the queue.");
    done.paint(finished.length);
    for (const th of Array.from(headRow.children) as HTMLElement[]) {
      const key = th.dataset.sort;
      setAttr(th, "aria-sort", key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : key ? "none" : null);
    }
    tools.paint(all, model.get("can_cancel") && !kernelGone);
  };

  const snapshot = requestSnapshot(model, () => {
    kernelGone = true;
    notice.hidden = false;
    setText(notice, SAVED_NOTE);
    schedule();
  });
  view.cleanup(snapshot.cancel);
  view.onMessage((msg) => {
    if (kernelGone) {
      // a busy kernel answers late; it is there after all
      kernelGone = false;
      notice.hidden = true;
    }
    if (msg.type === "snapshot") snapshot.answered();
    const removed = applyMessage(rows, msg, state.cancelling);
    if (removed === null) return;
    for (const id of removed) lines.remove(id);
    schedule();
  });
  view.watch(["can_cancel"], schedule);
  view.every(1000, () => {
    if (kernelGone) return;
    for (const r of rows.values()) {
      const tr = r.state === "RUNNING" && !r.done ? lines.rowEls.get(r.jobid) : undefined;
      if (tr) setText(tr.children[4], formatDuration(elapsedOf(r)));
    }
  });
  schedule();
});
