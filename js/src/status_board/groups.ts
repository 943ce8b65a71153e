// The StatusBoard's resources, grouped as NERSC groups them: each row has its status chip,
// name, what changed, its notes and outages, and its timeline. Long groups fold their plain
// "up" rows away.

import { h } from "../lib/dom";
import { type BoardView, chip, clock, GROUPS, label, type Resource, rank, when } from "./model";
import type { Timelines } from "./timeline";

/** Groups longer than this show their plain "up" rows folded away. */
const FOLD_AFTER = 8;

function details(view: BoardView, r: Resource): HTMLElement {
  const outages = view.model.get("outages").filter((o) => o.name === r.name);
  const current = outages.filter((o) => o.current);
  const planned = outages.filter((o) => !o.current);
  const info = h("div", { class: "sfj-st-detail", "data-testid": "status-detail" });
  if (r.changed) {
    const what = r.was ? `changed from ${label(r.was)} to ${label(r.status)}` : "notes changed";
    const text = `${what}${r.changed_at ? ` at ${clock(r.changed_at)}` : ""}`;
    info.append(h("div", { class: "sfj-st-change", "data-testid": "status-change", text }));
  }
  for (const o of current) {
    info.append(
      h("div", {
        class: "sfj-st-now",
        text: `Outage now: ${o.description}${o.end_at ? ` (until ${when(o.end_at)})` : ""}`,
      }),
    );
  }
  for (const n of r.notes) info.append(h("div", { class: "sfj-st-note", "data-testid": "status-note", text: n }));
  if (!current.length && planned.length) {
    const next = planned[0];
    info.append(h("div", { class: "sfj-muted", text: `Next: ${when(next.start_at)}, ${next.description}` }));
  }
  if (r.status !== "active" && !r.notes.length && !current.length && r.description) {
    info.append(h("div", { class: "sfj-muted", text: r.description }));
  }
  return info;
}

function row(view: BoardView, lines: Timelines, r: Resource): HTMLElement {
  const title = r.updated_at ? `status updated ${when(r.updated_at)}` : "";
  const name = h("div", { class: "sfj-st-name", title }, h("b", { text: r.full_name }), h("span", { text: r.name }));
  const attrs = { "data-resource": r.name, "data-status": r.status, "data-changed": String(r.changed) };
  return h(
    "div",
    { class: "sfj-st-row", "data-testid": "status-row", ...attrs },
    h("div", {}, chip(r.status)),
    name,
    details(view, r),
    lines.bar(r.name),
  );
}

/** One <section> per group that has resources; the first carries the timeline's axis. */
export function groupSections(view: BoardView, lines: Timelines, resources: Resource[]): HTMLElement[] {
  const outages = view.model.get("outages");
  const interesting = (r: Resource) =>
    r.status !== "active" || r.changed || r.notes.length > 0 || outages.some((o) => o.name === r.name);
  const sections: HTMLElement[] = [];
  for (const [key, title] of GROUPS) {
    const members = resources
      .filter((r) => r.group === key)
      // worst first; otherwise in the order /status lists them (NERSC's own: Perlmutter first)
      .sort((a, b) => rank(a.status) - rank(b.status) || resources.indexOf(a) - resources.indexOf(b));
    if (!members.length) continue;
    const up = members.filter((r) => r.status === "active").length;
    const heading = h(
      "div",
      { class: "sfj-st-group__title" },
      h("span", { text: title }),
      h("span", { class: "sfj-small", text: `${up} of ${members.length} up` }),
    );
    const section = h("section", { class: "sfj-st-group", "data-testid": "status-group", "data-group": key }, heading);
    if (!sections.length) section.append(lines.axis());
    const shown = members.length > FOLD_AFTER ? members.filter(interesting) : members;
    const folded = members.filter((r) => !shown.includes(r));
    section.append(...shown.map((r) => row(view, lines, r)));
    if (folded.length) {
      const summary = h("summary", { text: `${folded.length} more ${title.toLowerCase()}, all up` });
      const more = h("details", { class: "sfj-st-more", "data-testid": "status-more" }, summary);
      more.append(...folded.map((r) => row(view, lines, r)));
      section.append(more);
    }
    sections.push(section);
  }
  return sections;
}
