// The JobCard's state history (a timeline of steps) and, for a job array, its tasks: counts by
// state and the task list that arrives as messages.

import { h, setText } from "../lib/dom";
import { family, stateOrder } from "../lib/states";
import { clockTime, formatDuration, shortDateTime } from "../lib/time";
import { badge } from "../lib/ui";
import type { CardView } from "./model";
import type { TaskRow } from "./protocol";

export function timeline(view: CardView): { el: HTMLElement; paint: () => void } {
  const el = h("ol", { class: "sfj-timeline", "data-testid": "job-timeline", "aria-label": "State history" });
  const paint = () => {
    const steps = view.model.get("timeline") ?? [];
    el.replaceChildren(
      ...steps.map((step, i) =>
        h(
          "li",
          {
            class: "sfj-step",
            "data-state": step.state,
            "data-family": family(step.state),
            title: shortDateTime(step.time || step.seen),
          },
          h("span", { class: "sfj-step__dot" }),
          h("span", { class: "sfj-step__state", text: step.state }),
          h("span", { class: "sfj-step__time", text: clockTime(step.time || step.seen) }),
          i < steps.length - 1 ? h("span", { class: "sfj-step__arrow", "aria-hidden": "true", text: "→" }) : null,
        ),
      ),
    );
    el.hidden = steps.length === 0;
  };
  return { el, paint };
}

/** Tasks in task-number order (numbers as numbers, then as text). */
export function taskOrder(a: TaskRow, b: TaskRow): number {
  return Number(a.task) - Number(b.task) || a.task.localeCompare(b.task);
}

export interface ArrayTasks {
  el: HTMLElement;
  /** Repaint the counts from the `array` and `array_counts` traits. */
  paintCounts: () => void;
  /** Take tasks from the kernel (all of them if `replace`, else the changed ones). */
  update: (tasks: TaskRow[], replace: boolean) => void;
}

export function arrayTasks(view: CardView): ArrayTasks {
  const { model } = view;
  const counts = h("div", { class: "sfj-counts", "data-testid": "array-counts" });
  const body = h("tbody");
  const tasks = new Map<string, TaskRow>();
  const head = h(
    "thead",
    {},
    h("tr", {}, ...["Task", "State", "Elapsed", "Exit", "Nodes / reason"].map((t) => h("th", { text: t }))),
  );
  const table = h("table", { class: "sfj-table sfj-table--compact", "data-testid": "array-tasks" }, head, body);
  const summaryEl = h("summary", { text: "Tasks" });
  const el = h(
    "div",
    { class: "sfj-array", hidden: true },
    counts,
    h("details", { class: "sfj-tasks" }, summaryEl, table),
  );

  const paintCounts = () => {
    el.hidden = !model.get("array");
    const entries = Object.entries(model.get("array_counts") ?? {}).sort(([a], [b]) => stateOrder(a, b));
    counts.replaceChildren(
      h("span", { class: "sfj-muted", text: "Tasks" }),
      ...entries.map(([state, count]) => {
        const chip = badge(state, undefined, count);
        chip.dataset.testid = "array-count";
        chip.dataset.count = String(count);
        return chip;
      }),
    );
    if (!entries.length) counts.append(h("span", { class: "sfj-muted", text: "waiting for the task list…" }));
  };

  const paintTasks = () => {
    const rows = Array.from(tasks.values()).sort(taskOrder);
    setText(summaryEl, `Task list (${rows.length})`);
    body.replaceChildren(
      ...rows.map((t) =>
        h(
          "tr",
          { "data-testid": "array-task", "data-jobid": t.jobid, "data-state": t.state },
          h("td", { class: "sfj-mono", text: t.task }),
          h("td", {}, badge(t.state)),
          h("td", { text: formatDuration(t.elapsed_s) }),
          h("td", { text: t.exit_code === null ? "—" : String(t.exit_code) }),
          h("td", { class: "sfj-muted", text: t.nodelist || t.reason }),
        ),
      ),
    );
  };
  const update = (rows: TaskRow[], replace: boolean) => {
    if (replace) tasks.clear();
    for (const t of rows) tasks.set(t.jobid, t);
    paintTasks();
  };
  return { el, paintCounts, update };
}
