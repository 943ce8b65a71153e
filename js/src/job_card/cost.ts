// The JobCard's cost panel, once the job has ended: elapsed, peak memory against what it had,
// CPU efficiency, node-hours (charged when NERSC's QOS factor is known), and for a job that ran
// out of memory what to ask for next time. The figures are JobCost.to_json() (docs/job-cost.md).

import { h, setText } from "../lib/dom";
import { formatDuration } from "../lib/time";
import { fact } from "../lib/ui";
import type { CardView, Cost } from "./model";

/** Bytes as sbatch writes sizes (`300M`, `1.5G`), as the Python side's `format_size`. */
export function sbatchSize(bytes: number): string {
  for (const [unit, scale] of [
    ["T", 1024 ** 4],
    ["G", 1024 ** 3],
    ["M", 1024 ** 2],
  ] as const) {
    if (bytes >= scale) {
      const value = bytes / scale;
      return value < 100 ? `${Number(value.toPrecision(3))}${unit}` : `${Math.ceil(value)}${unit}`;
    }
  }
  return `${Math.ceil(bytes / 1024)}K`;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
const hours = (x: number) => String(Number(x.toPrecision(3)));

/** The panel's figures as [label, text, testid]; one sacct did not give is left out. */
export function costFacts(cost: Cost): [string, string, string][] {
  const out: [string, string, string][] = [];
  if (cost.elapsed != null) out.push(["Elapsed", formatDuration(cost.elapsed), "cost-elapsed"]);
  if (cost.peak_memory != null) {
    const had = cost.memory ? ` of ${sbatchSize(cost.memory)} (${percent(cost.peak_memory / cost.memory)})` : "";
    out.push(["Peak memory", sbatchSize(cost.peak_memory) + had, "cost-memory"]);
  }
  if (cost.cpu_efficiency != null) out.push(["CPU efficiency", percent(cost.cpu_efficiency), "cost-cpu"]);
  if (cost.charged_node_hours != null)
    out.push(["Charged", `${hours(cost.charged_node_hours)} node-hours`, "cost-node-hours"]);
  else if (cost.node_hours != null)
    out.push(["Node-hours", `${hours(cost.node_hours)} (no QOS charge factor known)`, "cost-node-hours"]);
  return out;
}

export function costPanel(view: CardView): { el: HTMLElement; paint: () => void } {
  const facts = h("div", { class: "sfj-facts" });
  const advice = h("div", { class: "sfj-message", "data-level": "error", "data-testid": "cost-advice" });
  const meter = h("div", { class: "sfj-cost__meter", "data-testid": "cost-meter" }, h("span"));
  const el = h("div", { class: "sfj-cost", "data-testid": "cost-panel", hidden: true }, facts, meter, advice);
  const paint = () => {
    const cost = view.model.get("cost") ?? {};
    const items = costFacts(cost);
    el.hidden = items.length === 0;
    facts.replaceChildren(
      ...items.map(([label, text, testid]) => {
        const f = fact(label, testid);
        setText(f.value, text);
        return f.el;
      }),
    );
    const fraction = cost.memory && cost.peak_memory != null ? cost.peak_memory / cost.memory : null;
    meter.hidden = fraction === null;
    (meter.firstChild as HTMLElement).style.width = percent(Math.min(1, fraction ?? 0));
    el.dataset.oom = String(Boolean(cost.out_of_memory));
    advice.hidden = !cost.advice;
    setText(advice, cost.advice ?? "");
    advice.title = (cost.notes ?? []).join("\n");
  };
  return { el, paint };
}
