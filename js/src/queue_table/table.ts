// The QueueTable's <tr>s: one per job and one per array group, made once and updated in place
// (a job keeps its row as it moves), and `reconcile`, which puts them in order.

import { h, setAttr, setText } from "../lib/dom";
import { family, isTerminal, stateOrder } from "../lib/states";
import { formatDuration, shortDateTime } from "../lib/time";
import { badge, updateBadge } from "../lib/ui";
import { displayId, elapsedOf, type Row } from "./rows";

/** What the rows show beyond the job itself: the user's selection and expanded arrays, the
 *  jobs being cancelled, whether the boxes to select are shown. */
export interface RowState {
  selected: Set<string>;
  expanded: Set<string>;
  cancelling: Set<string>;
  selectable: () => boolean;
  /** Repaint the table at the next frame. */
  schedule: () => void;
}

export class Rows {
  readonly rowEls = new Map<string, HTMLTableRowElement>();
  readonly groupEls = new Map<string, HTMLTableRowElement>();

  constructor(private readonly s: RowState) {}

  private checkbox(id: string, label: string): HTMLInputElement {
    const box = h("input", { type: "checkbox", "data-testid": "row-select", "aria-label": `Select ${label}` });
    box.addEventListener("change", () => {
      if (box.checked) this.s.selected.add(id);
      else this.s.selected.delete(id);
      this.s.schedule();
    });
    return box;
  }

  row(r: Row): HTMLTableRowElement {
    let tr = this.rowEls.get(r.jobid);
    if (!tr) {
      tr = h(
        "tr",
        { "data-testid": "queue-row", "data-jobid": r.jobid },
        h("td", {}, this.checkbox(r.jobid, `job ${displayId(r)}`)),
        h("td", { class: "sfj-mono sfj-nowrap" }),
        h("td"),
        h("td", {}, badge(r.state)),
        h("td", { class: "sfj-num" }),
        h("td", { class: "sfj-num" }),
        h("td", { class: "sfj-small sfj-nowrap" }),
        h("td", { class: "sfj-muted sfj-small" }),
      );
      this.rowEls.set(r.jobid, tr);
    }
    const cells = tr.children;
    tr.dataset.state = r.state;
    tr.dataset.family = family(r.state);
    tr.dataset.done = String(r.done);
    tr.classList.toggle("sfj-row--cancelling", this.s.cancelling.has(r.jobid) && !r.done);
    const box = cells[0].firstChild as HTMLInputElement;
    box.checked = this.s.selected.has(r.jobid);
    box.hidden = r.done || !this.s.selectable();
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
    const why = r.state === "PENDING" ? r.reason : r.nodelist || r.reason;
    setText(cells[7], unsettled ? `left the queue (last seen ${r.state})` : why);
    tr.classList.toggle("sfj-row--unsettled", unsettled);
    return tr;
  }

  group(arrayId: string, tasks: Row[]): HTMLTableRowElement {
    let tr = this.groupEls.get(arrayId);
    if (!tr) {
      const toggle = h("button", { class: "sfj-btn sfj-btn--flat", type: "button", "data-testid": "group-toggle" });
      toggle.addEventListener("click", () => {
        if (this.s.expanded.has(arrayId)) this.s.expanded.delete(arrayId);
        else this.s.expanded.add(arrayId);
        this.s.schedule();
      });
      tr = h(
        "tr",
        { class: "sfj-group", "data-testid": "array-group", "data-jobid": arrayId },
        h("td", {}, this.checkbox(arrayId, `array ${arrayId}`)),
        h("td", { class: "sfj-mono sfj-nowrap" }, toggle),
        h("td"),
        h("td", { colspan: 5 }, h("span", { class: "sfj-counts", "data-testid": "array-counts" })),
      );
      this.groupEls.set(arrayId, tr);
    }
    const cells = tr.children;
    const box = cells[0].firstChild as HTMLInputElement;
    box.checked = this.s.selected.has(arrayId);
    box.hidden = !this.s.selectable();
    const open = this.s.expanded.has(arrayId);
    const toggle = cells[1].firstChild as HTMLElement;
    setText(toggle, `${open ? "▾" : "▸"} ${arrayId}_[${tasks.length}]`);
    setAttr(toggle, "aria-expanded", String(open));
    setText(cells[2], tasks[0]?.name ?? "");
    const perState = new Map<string, number>();
    for (const t of tasks) perState.set(t.state, (perState.get(t.state) ?? 0) + 1);
    const chips = Array.from(perState.entries())
      .sort(([a], [b]) => stateOrder(a, b))
      .map(([state, n]) => Object.assign(badge(state, undefined, n), { title: `${n} ${state}` }));
    (cells[3].firstChild as HTMLElement).replaceChildren(...chips);
    return tr;
  }

  /** Forget a job that left the table for good. */
  remove(jobid: string): void {
    this.rowEls.get(jobid)?.remove();
    this.rowEls.delete(jobid);
  }
}

/** Make `parent`'s children exactly `wanted`, in order, moving existing nodes. */
export function reconcile(parent: HTMLElement, wanted: HTMLElement[]): void {
  const keep = new Set(wanted);
  for (const child of Array.from(parent.children)) if (!keep.has(child as HTMLElement)) child.remove();
  wanted.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] ?? null);
  });
}
