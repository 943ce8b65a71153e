// The JobCard's array task grid: a cell per task coloured by its state (states.json through the
// root's CSS variables), its exit code and elapsed time in the cell and its tooltip. A click
// asks the kernel for that task's output; the failed tasks stand out and one button resubmits
// them as one new array of only those indices.

import { h, setText } from "../lib/dom";
import { family, isTerminal, stateLabel } from "../lib/states";
import { formatDuration } from "../lib/time";
import type { CardView } from "./model";
import type { TaskRow } from "./protocol";
import { taskOrder } from "./tasks";

export const failed = (t: TaskRow) => isTerminal(t.state) && t.state !== "COMPLETED";

export function tooltip(t: TaskRow): string {
  const exit = t.exit_code === null ? "" : `, exit ${t.exit_code}`;
  const where = t.nodelist || (t.reason && t.reason !== "None" ? t.reason : "");
  return `task ${t.task}: ${stateLabel(t.state)}${exit}, ${formatDuration(t.elapsed_s)}${where ? `, ${where}` : ""}`;
}

export interface TaskGrid {
  el: HTMLElement;
  update: (tasks: TaskRow[], replace: boolean) => void;
  paint: () => void;
}

export function taskGrid(view: CardView): TaskGrid {
  const { model } = view;
  const tasks = new Map<string, TaskRow>();
  const cells = h("div", { class: "sfj-grid", role: "list", "data-testid": "task-grid" });
  const resubmit = h("button", { class: "sfj-btn", type: "button", "data-testid": "resubmit-failed" });
  const note = h("span", { class: "sfj-muted", "data-testid": "task-grid-note" });
  const el = h(
    "div",
    { class: "sfj-grid-wrap", hidden: true },
    cells,
    h("div", { class: "sfj-grid__bar" }, note, resubmit),
  );
  resubmit.addEventListener("click", () => {
    resubmit.disabled = true;
    view.send({ type: "resubmit" });
  });

  const paint = () => {
    const rows = Array.from(tasks.values()).sort(taskOrder);
    const shown = model.get("task_shown") || rows[0]?.jobid;
    el.hidden = rows.length === 0;
    cells.replaceChildren(
      ...rows.map((t) => {
        const cell = h(
          "button",
          {
            class: "sfj-grid__cell",
            type: "button",
            role: "listitem",
            title: tooltip(t),
            "aria-pressed": String(t.jobid === shown),
            "data-testid": "grid-task",
            "data-jobid": t.jobid,
            "data-state": t.state,
            "data-family": family(t.state),
            "data-failed": String(failed(t)),
          },
          h("span", { class: "sfj-grid__task", text: t.task }),
          h("span", { class: "sfj-grid__exit", text: t.exit_code === null ? "" : String(t.exit_code) }),
        );
        cell.addEventListener("click", () => view.send({ type: "task", jobid: t.jobid }));
        return cell;
      }),
    );
    const bad = rows.filter(failed).map((t) => t.task);
    const again = model.get("resubmitted");
    resubmit.hidden = !model.get("can_resubmit") || bad.length === 0;
    resubmit.disabled = false;
    setText(resubmit, `Resubmit ${bad.length} failed task${bad.length === 1 ? "" : "s"} (--array=${bad.join(",")})`);
    // A task's job id may be its own (sacct's JobIDRaw): say its index.
    const index = rows.find((t) => t.jobid === shown)?.task;
    const showing = index === undefined ? "" : `output of task ${index}`;
    setText(note, [showing, again ? `failed tasks resubmitted as job ${again}` : ""].filter(Boolean).join(" · "));
  };
  const update = (rows: TaskRow[], replace: boolean) => {
    if (replace) tasks.clear();
    for (const t of rows) tasks.set(t.jobid, t);
    paint();
  };
  return { el, update, paint };
}
