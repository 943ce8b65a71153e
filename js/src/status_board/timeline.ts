// The StatusBoard's outage timelines: the window (now and the next days), one bar per outage
// of a resource (click for its description in the detail box), and the axis of dates.

import { h } from "../lib/dom";
import { type BoardView, type Outage, parse, when } from "./model";

const DAY_MS = 86_400_000;

export const outageKey = (o: Outage) => `${o.name}|${o.start_at}|${o.description}`;

/** Where a bar sits in the window [start, end], in percent; null if it is not in it. */
export function barPlace(o: Outage, start: number, end: number): { left: number; width: number } | null {
  const s = Math.max(parse(o.start_at), start);
  const e = Math.min(Number.isFinite(parse(o.end_at)) ? parse(o.end_at) : end, end);
  if (!(e > s) && !o.current) return null;
  const left = ((s - start) / (end - start)) * 100;
  const width = Math.max(((e - s) / (end - start)) * 100, 0.8);
  return { left, width: Math.min(width, 100 - left) };
}

export interface Timelines {
  /** The box under the groups with the open outage's description. */
  detail: HTMLElement;
  /** Key of the outage whose description is open (null if none). */
  selected: () => string | null;
  /** Open `o`'s description (close with undefined). */
  showDetail: (o: Outage | undefined) => void;
  bar: (name: string) => HTMLElement;
  axis: () => HTMLElement;
  windowStart: () => number;
}

export function timelines(view: BoardView, repaint: () => void): Timelines {
  const { model } = view;
  let selected: string | null = null;
  const detail = h("div", { class: "sfj-st-detailbox", "data-testid": "outage-detail", hidden: true });
  const windowOf = () => {
    const checked = parse(model.get("checked_at"));
    const start = Number.isFinite(checked) ? checked : Date.now();
    const days = model.get("window_days") || 14;
    return { start, end: start + days * DAY_MS, days };
  };

  const showDetail = (o: Outage | undefined) => {
    if (!o) {
      detail.hidden = true;
      selected = null;
      return;
    }
    selected = outageKey(o);
    detail.dataset.current = String(o.current);
    const resource = model.get("resources").find((r) => r.name === o.name);
    const what = `${resource?.full_name ?? o.name}: ${o.current ? "outage now" : "planned outage"}`;
    detail.replaceChildren(
      h(
        "div",
        {},
        h("strong", { text: what }),
        h("span", { class: "sfj-muted", text: o.status ? `  · ${o.status}` : "" }),
      ),
      h("div", { text: `${when(o.start_at)} → ${o.end_at ? when(o.end_at) : "until further notice"}` }),
      h("div", { text: o.description || "(no description)" }),
    );
    if (o.notes) detail.append(h("div", { class: "sfj-muted", text: o.notes }));
    detail.hidden = false;
  };

  const bar = (name: string): HTMLElement => {
    const { start, end, days } = windowOf();
    const el = h("div", { class: "sfj-tl", "data-testid": "outage-timeline", style: `--sfj-days:${days}` });
    el.append(h("span", { class: "sfj-tl__now", title: "now" }));
    for (const o of model.get("outages").filter((x) => x.name === name)) {
      const place = barPlace(o, start, end);
      if (!place) continue;
      const title = `${o.current ? "Now" : "Planned"}: ${when(o.start_at)} → ${o.end_at ? when(o.end_at) : "?"}\n${o.description}`;
      const seg = h("button", {
        class: "sfj-tl__seg",
        type: "button",
        "data-testid": "outage-bar",
        "data-current": String(o.current),
        title,
        "aria-label": title,
        "aria-pressed": String(selected === outageKey(o)),
        style: `left:${place.left.toFixed(2)}%;width:${place.width.toFixed(2)}%`,
      });
      seg.addEventListener("click", () => {
        showDetail(selected === outageKey(o) ? undefined : o);
        repaint();
      });
      el.append(seg);
    }
    return el;
  };

  const axis = (): HTMLElement => {
    const { start, days } = windowOf();
    const ticks = h("div", { class: "sfj-st-axis", "data-testid": "timeline-axis" });
    const step = days > 10 ? 3 : days > 5 ? 2 : 1;
    const first = new Date(start);
    first.setHours(24, 0, 0, 0); // the next local midnight
    for (let t = first.getTime(); t < start + days * DAY_MS; t += step * DAY_MS) {
      const pct = ((t - start) / (days * DAY_MS)) * 100;
      if (pct > 96) break;
      const text = new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
      ticks.append(h("span", { style: `left:${pct.toFixed(2)}%`, text }));
    }
    return h("div", { class: "sfj-st-axisrow" }, h("span"), h("span"), h("span"), ticks);
  };
  return { detail, selected: () => selected, showDetail, bar, axis, windowStart: () => windowOf().start };
}
