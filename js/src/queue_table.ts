// QueueTable: a machine's queue, live. Rows arrive as diffs (upsert/done/remove) and are
// updated in place (each job keeps its <tr>); finished jobs move to the "done" section.

import type { AnyModel } from "@anywidget/types";
import { frameScheduler, h, setAttr, setText } from "./lib/dom";
import type { JobRow } from "./lib/protocol";
import { requestSnapshot, send, subscribe } from "./lib/protocol";
import { applyStateColours, family, isTerminal, stateOrder } from "./lib/states";
import { formatDuration, liveSeconds, shortDateTime } from "./lib/time";
import { badge, confirmBar, guardedRender, updateBadge } from "./lib/ui";

interface Model {
  machine: string;
  user: string;
  counts: Record<string, number>;
  can_cancel: boolean;
  updated: string;
}

type Row = JobRow & { at_ms: number };
type SortKey = "jobid" | "name" | "state" | "elapsed" | "nodes" | "submit";

const COLUMNS: [SortKey | null, string][] = [
  [null, ""], ["jobid", "Job"], ["name", "Name"], ["state", "State"], ["elapsed", "Elapsed"],
  ["nodes", "Nodes"], ["submit", "Submitted"], [null, "Reason / nodes"],
];

const displayId = (r: JobRow) => (r.array_job_id && r.array_task_id ? `${r.array_job_id}_${r.array_task_id}` : r.jobid);
const elapsedOf = (r: Row) => liveSeconds(r.elapsed_s, r.at_ms, r.state === "RUNNING" && !r.done);

function sortValue(r: Row, key: SortKey): number | string {
  switch (key) {
    case "jobid": return (parseInt(r.array_job_id || r.jobid, 10) || 0) * 1e5 + (parseInt(r.array_task_id, 10) || 0);
    case "name": return r.name.toLowerCase();
    case "state": return stateOrder(r.state, "");
    case "elapsed": return elapsedOf(r) ?? -1;
    case "nodes": return r.nodes ?? -1;
    case "submit": return r.submit_time;
  }
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  const rows = new Map<string, Row>();
  const rowEls = new Map<string, HTMLTableRowElement>();
  const groupEls = new Map<string, HTMLTableRowElement>();
  const selected = new Set<string>();
  const expanded = new Set<string>();
  const cancelling = new Set<string>();
  let sortKey: SortKey = "jobid";
  let sortDir = -1; // newest first
  let kernelGone = false;

  // -- chrome ---------------------------------------------------------------------------------
  const title = h("span", { class: "sfj-card__name" });
  const countsEl = h("span", { class: "sfj-counts", "data-testid": "queue-counts" });
  const updated = h("span", { class: "sfj-muted sfj-small" });
  const stateFilter = h("select", { class: "sfj-input", "data-testid": "state-filter", "aria-label": "Filter by state" });
  const nameFilter = h("input", { class: "sfj-input", type: "search", placeholder: "Filter by name or id", "data-testid": "name-filter", "aria-label": "Filter by name or job id" });
  const cancelBtn = h("button", { class: "sfj-btn sfj-btn--danger-outline", type: "button", "data-testid": "cancel-button" });
  const confirm = confirmBar(() => {
    const jobids = Array.from(selected);
    send(model, { type: "cancel", jobids });
    jobids.forEach((id) => cancelling.add(id));
    selected.clear();
    schedule();
  });
  const headRow = h("tr");
  const body = h("tbody");
  const table = h("table", { class: "sfj-table" }, h("thead", {}, headRow), body);
  const empty = h("div", { class: "sfj-muted sfj-empty", text: "No jobs in the queue." });
  const doneBody = h("tbody");
  const doneSummary = h("summary");
  const done = h("details", { class: "sfj-done", "data-testid": "done-section" }, doneSummary,
    h("table", { class: "sfj-table" }, h("thead", {}, h("tr", {}, ...COLUMNS.map(([, label]) => h("th", { text: label })))), doneBody));
  const notice = h("div", { class: "sfj-message", "data-level": "info", hidden: true });
  const root = h(
    "div",
    { class: "sfj-root sfj-queue", "data-testid": "queue-table" },
    h("div", { class: "sfj-card__head" }, title, countsEl, h("span", { class: "sfj-spacer" }), updated),
    h("div", { class: "sfj-toolbar" }, stateFilter, nameFilter, h("span", { class: "sfj-spacer" }), cancelBtn),
    confirm.el, notice, h("div", { class: "sfj-table-wrap" }, table, empty), done,
  );
  applyStateColours(root);
  el.replaceChildren(root);

  for (const [key, label] of COLUMNS) {
    const th = h("th", { text: label, "data-sort": key ?? undefined, scope: "col" });
    if (key) {
      th.classList.add("sfj-sortable");
      th.tabIndex = 0;
      const sortBy = () => {
        sortDir = sortKey === key ? -sortDir : 1;
        sortKey = key;
        schedule();
      };
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", (ev) => (ev.key === "Enter" || ev.key === " ") && sortBy());
    }
    headRow.append(th);
  }
  stateFilter.addEventListener("change", () => schedule());
  nameFilter.addEventListener("input", () => schedule());
  cancelBtn.addEventListener("click", () => {
    const n = selected.size;
    if (!n) return;
    const what = n === 1 ? `job ${Array.from(selected)[0]}` : `${n} jobs`;
    confirm.open(`Cancel ${what} on ${model.get("machine")}? This cannot be undone.`, `Yes, cancel ${what}`);
  });

  // -- rows -----------------------------------------------------------------------------------
  const checkbox = (id: string, label: string) => {
    const box = h("input", { type: "checkbox", "data-testid": "row-select", "aria-label": `Select ${label}` });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(id);
      else selected.delete(id);
      schedule();
    });
    return box;
  };

  const rowEl = (r: Row): HTMLTableRowElement => {
    let tr = rowEls.get(r.jobid);
    if (!tr) {
      tr = h("tr", { "data-testid": "queue-row", "data-jobid": r.jobid },
        h("td", {}, checkbox(r.jobid, `job ${displayId(r)}`)),
        h("td", { class: "sfj-mono sfj-nowrap" }), h("td"), h("td", {}, badge(r.state)), h("td", { class: "sfj-num" }),
        h("td", { class: "sfj-num" }), h("td", { class: "sfj-small sfj-nowrap" }), h("td", { class: "sfj-muted sfj-small" }));
      rowEls.set(r.jobid, tr);
    }
    const cells = tr.children;
    tr.dataset.state = r.state;
    tr.dataset.family = family(r.state);
    tr.dataset.done = String(r.done);
    tr.classList.toggle("sfj-row--cancelling", cancelling.has(r.jobid) && !r.done);
    const box = cells[0].firstChild as HTMLInputElement;
    box.checked = selected.has(r.jobid);
    box.hidden = r.done || !model.get("can_cancel") || kernelGone;
    setText(cells[1], displayId(r));
    setText(cells[2], r.name);
    setAttr(cells[2], "title", r.name);
    updateBadge(cells[3].firstChild as HTMLElement, r.state);
    setText(cells[4], formatDuration(elapsedOf(r)));
    setText(cells[5], r.nodes === null ? "" : String(r.nodes));
    setText(cells[6], shortDateTime(r.submit_time, true));
    setAttr(cells[6], "title", r.submit_time);
    // A job can leave squeue before sacct tells how it ended: say so rather than show it running.
    const unsettled = r.done && !isTerminal(r.state);
    setText(cells[7], unsettled ? `left the queue (last seen ${r.state})` : r.state === "PENDING" ? r.reason : r.nodelist || r.reason);
    tr.classList.toggle("sfj-row--unsettled", unsettled);
    return tr;
  };

  const groupEl = (arrayId: string, tasks: Row[]): HTMLTableRowElement => {
    let tr = groupEls.get(arrayId);
    if (!tr) {
      const toggle = h("button", { class: "sfj-btn sfj-btn--flat", type: "button", "data-testid": "group-toggle" });
      toggle.addEventListener("click", () => {
        if (expanded.has(arrayId)) expanded.delete(arrayId);
        else expanded.add(arrayId);
        schedule();
      });
      tr = h("tr", { class: "sfj-group", "data-testid": "array-group", "data-jobid": arrayId },
        h("td", {}, checkbox(arrayId, `array ${arrayId}`)), h("td", { class: "sfj-mono sfj-nowrap" }, toggle),
        h("td"), h("td", { colspan: 5 }, h("span", { class: "sfj-counts", "data-testid": "array-counts" })));
      groupEls.set(arrayId, tr);
    }
    const cells = tr.children;
    const box = cells[0].firstChild as HTMLInputElement;
    box.checked = selected.has(arrayId);
    box.hidden = !model.get("can_cancel") || kernelGone;
    setText(cells[1].firstChild as HTMLElement, `${expanded.has(arrayId) ? "▾" : "▸"} ${arrayId}_[${tasks.length}]`);
    setAttr(cells[1].firstChild as HTMLElement, "aria-expanded", String(expanded.has(arrayId)));
    setText(cells[2], tasks[0]?.name ?? "");
    const perState = new Map<string, number>();
    for (const t of tasks) perState.set(t.state, (perState.get(t.state) ?? 0) + 1);
    const chips = Array.from(perState.entries()).sort(([a], [b]) => stateOrder(a, b))
      .map(([state, n]) => Object.assign(badge(state, undefined, n), { title: `${n} ${state}` }));
    (cells[3].firstChild as HTMLElement).replaceChildren(...chips);
    return tr;
  };

  // -- the whole body, reconciled: existing <tr>s are moved, not rebuilt ----------------------
  const paint = () => {
    const filterState = stateFilter.value;
    const needle = nameFilter.value.trim().toLowerCase();
    const visible = (r: Row) =>
      (!filterState || r.state === filterState) &&
      (!needle || r.name.toLowerCase().includes(needle) || displayId(r).includes(needle));
    const cmp = (a: Row, b: Row) => {
      const va = sortValue(a, sortKey), vb = sortValue(b, sortKey);
      return (va < vb ? -1 : va > vb ? 1 : 0) * sortDir || a.jobid.localeCompare(b.jobid);
    };
    const all = Array.from(rows.values());
    const active = all.filter((r) => !r.done).sort(cmp);
    const finished = all.filter((r) => r.done).sort(cmp);

    // Arrays: one group row (placed where its first task sorts) then its tasks if expanded.
    const ordered: HTMLTableRowElement[] = [];
    const seenGroups = new Set<string>();
    for (const r of active) {
      if (!r.array_job_id) {
        if (visible(r)) ordered.push(rowEl(r));
        continue;
      }
      if (seenGroups.has(r.array_job_id)) continue;
      seenGroups.add(r.array_job_id);
      const tasks = active.filter((t) => t.array_job_id === r.array_job_id)
        .sort((a, b) => (parseInt(a.array_task_id, 10) || 0) - (parseInt(b.array_task_id, 10) || 0));
      const shown = tasks.filter(visible);
      if (!shown.length) continue;
      ordered.push(groupEl(r.array_job_id, tasks));
      if (expanded.has(r.array_job_id)) ordered.push(...shown.map((t) => { const tr = rowEl(t); tr.classList.add("sfj-row--task"); return tr; }));
    }
    reconcile(body, ordered);
    reconcile(doneBody, finished.filter(visible).map(rowEl));
    for (const id of groupEls.keys()) if (!seenGroups.has(id)) groupEls.delete(id);

    // Selection only of what is still cancellable.
    for (const id of Array.from(selected)) {
      const r = rows.get(id);
      if ((r && r.done) || (!r && !seenGroups.has(id))) selected.delete(id);
    }
    empty.hidden = ordered.length > 0;
    setText(empty, active.length ? "No job matches the filter." : "No jobs in the queue.");
    setText(doneSummary, `Done (${finished.length})`);
    done.hidden = finished.length === 0;
    cancelBtn.hidden = !model.get("can_cancel") || kernelGone;
    cancelBtn.disabled = selected.size === 0;
    setText(cancelBtn, selected.size ? `Cancel selected (${selected.size})` : "Cancel selected");
    for (const th of Array.from(headRow.children) as HTMLElement[]) {
      const key = th.dataset.sort;
      setAttr(th, "aria-sort", key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : key ? "none" : null);
    }
    paintFilterOptions(all);
  };
  const { schedule, cancel: cancelPaint } = frameScheduler(paint);

  const paintFilterOptions = (all: Row[]) => {
    const states = Array.from(new Set(all.map((r) => r.state))).sort(stateOrder);
    const current = stateFilter.value;
    const wanted = ["", ...states];
    if (Array.from(stateFilter.options).map((o) => o.value).join() !== wanted.join()) {
      stateFilter.replaceChildren(...wanted.map((s) => h("option", { value: s, text: s || "All states" })));
      stateFilter.value = wanted.includes(current) ? current : "";
    }
  };

  const paintHeader = () => {
    const user = model.get("user");
    setText(title, `Queue on ${model.get("machine")}${user ? ` · ${user}` : ""}`);
    const counts = Object.entries(model.get("counts") ?? {}).filter(([s]) => s !== "done").sort(([a], [b]) => stateOrder(a, b));
    countsEl.replaceChildren(...counts.map(([state, n]) => badge(state, undefined, n)));
    const when = model.get("updated");
    setText(updated, when ? `updated ${shortDateTime(when)}` : "");
  };
  paintHeader();

  // -- messages -------------------------------------------------------------------------------
  const snapshot = requestSnapshot(model, () => {
    kernelGone = true;
    notice.hidden = false;
    setText(notice, "Saved view: the kernel that made this table is not connected, and rows are not saved with the notebook. Run the cell again to see the queue.");
    schedule();
  });
  const off = subscribe(model, (msg) => {
    if (kernelGone) {
      // a busy kernel answers late; it is there after all
      kernelGone = false;
      notice.hidden = true;
    }
    if (msg.type === "snapshot") {
      snapshot.answered();
      rows.clear();
      for (const r of msg.rows ?? []) rows.set(r.jobid, { ...r, at_ms: msg.at_ms ?? Date.now() });
    } else if (msg.type === "upsert") {
      for (const r of msg.rows) {
        const before = rows.get(r.jobid);
        if (before && before.state !== r.state) cancelling.delete(r.jobid);
        rows.set(r.jobid, { ...r, at_ms: msg.at_ms });
      }
    } else if (msg.type === "done") {
      for (const id of msg.jobids) {
        const r = rows.get(id);
        if (r) rows.set(id, { ...r, done: true });
      }
    } else if (msg.type === "remove") {
      for (const id of msg.jobids) {
        rows.delete(id);
        rowEls.get(id)?.remove();
        rowEls.delete(id);
      }
    } else {
      return;
    }
    schedule();
  });
  const onHeader = () => paintHeader();
  model.on("change:counts", onHeader);
  model.on("change:updated", onHeader);
  model.on("change:machine", onHeader);
  model.on("change:can_cancel", schedule);
  const ticker = window.setInterval(() => {
    if (kernelGone) return;
    for (const r of rows.values()) if (r.state === "RUNNING" && !r.done) {
      const tr = rowEls.get(r.jobid);
      if (tr) setText(tr.children[4], formatDuration(elapsedOf(r)));
    }
  }, 1000);
  schedule();

  return () => {
    window.clearInterval(ticker);
    cancelPaint();
    off();
    snapshot.cancel();
    model.off("change:counts", onHeader);
    model.off("change:updated", onHeader);
    model.off("change:machine", onHeader);
    model.off("change:can_cancel", schedule);
  };
}

/** Make `parent`'s children exactly `wanted`, in order, moving existing nodes. */
function reconcile(parent: HTMLElement, wanted: HTMLElement[]): void {
  const keep = new Set(wanted);
  for (const child of Array.from(parent.children)) if (!keep.has(child as HTMLElement)) child.remove();
  wanted.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] ?? null);
  });
}

export default { render: guardedRender<Model>("queue table", draw) };
