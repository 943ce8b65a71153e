// The SubmitForm's checks (the kernel's errors and warnings, a click shows the line) and the
// job's cost in node-hours against what the project has left.

import { h, setAttr, setText } from "../lib/dom";
import { type Cost, type FormView, hours, type Issue } from "./model";

/** "2 CPU node-hours (…) of the 10 left in m1234": what the cost line says. */
export function costText(c: Cost): string {
  let text = `${hours(c.node_hours)} ${c.kind ?? "CPU"} node-hour${c.node_hours === 1 ? "" : "s"}`;
  if (c.assumed_time) text += " (no time limit: counted at 48 h)";
  if (c.project && c.left !== null && c.left !== undefined) text += ` of the ${hours(c.left)} left in ${c.project}`;
  return text;
}

export function checks(view: FormView, selectLine: (line: number) => void): { el: HTMLElement[]; paint: () => void } {
  const { model } = view;
  const list = h("ul", {
    class: "sfj-form__checks",
    "data-testid": "form-checks",
    "aria-label": "Checks before submit",
  });
  const costValue = h("span", { class: "sfj-form__cost-value", "data-testid": "form-cost" });
  const meterFill = h("div");
  const meter = h("div", { class: "sfj-form__meter", title: "share of the project's hours left" }, meterFill);
  const cost = h(
    "div",
    { class: "sfj-form__cost" },
    h("span", { class: "sfj-fact__label", text: "Cost" }),
    costValue,
    meter,
  );

  const item = (issue: Issue) => {
    const attrs = { class: "sfj-form__check", "data-severity": issue.severity, "data-line": issue.line ?? null };
    const el = h(
      "li",
      { ...attrs, title: issue.line ? "Show this line in the script" : null },
      h("b", { text: issue.severity === "error" ? "Error" : "Warning" }),
      issue.line ? `line ${issue.line}: ` : "",
      issue.message,
    );
    if (issue.line) el.addEventListener("click", () => selectLine(issue.line as number));
    return el;
  };
  const paint = () => {
    const items = (model.get("issues") ?? []).map(item);
    for (const text of model.get("warnings") ?? []) {
      items.push(
        h(
          "li",
          { class: "sfj-form__check", "data-severity": "warning", "data-kind": "notice" },
          h("b", { text: "Warning" }),
          text,
        ),
      );
    }
    if (!items.length) {
      const ok = { class: "sfj-form__check", "data-severity": "ok", style: "border-left-color: var(--sfj-completed)" };
      items.push(h("li", ok, h("b", { text: "OK" }), "No problems found in the script."));
    }
    list.replaceChildren(...items);
    const c = model.get("cost") ?? {};
    cost.hidden = c.node_hours === undefined || c.node_hours === null;
    if (cost.hidden) return;
    setText(costValue, costText(c));
    setAttr(cost, "data-over", String(!!c.over));
    const share = c.left ? Math.min(1, (c.node_hours ?? 0) / Math.max(c.left, 1e-9)) : c.over ? 1 : 0;
    meter.hidden = c.left === null || c.left === undefined;
    meterFill.style.width = `${Math.max(share * 100, share > 0 ? 2 : 0)}%`;
  };
  view.watch(["issues", "warnings", "cost"], paint);
  return { el: [list, cost], paint };
}
