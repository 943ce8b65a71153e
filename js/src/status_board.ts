// StatusBoard: NERSC's resources grouped as NERSC groups them, each with a coloured status,
// its notes and current outages, and a 14-day timeline of planned outages (hover or click a
// bar for its description). The kernel refreshes the board while a view reports itself
// visible; what changed since the last look is marked until "Mark as seen".

import type { AnyModel } from "@anywidget/types";
import { ensureBoardStyles } from "./lib/board_styles";
import { frameScheduler, h, setText } from "./lib/dom";
import { applyStateColours } from "./lib/states";
import { applyStatusColours, STATUS_TABLE as table } from "./lib/status_colours";
import { guardedRender } from "./lib/ui";

interface Resource {
  name: string;
  full_name: string;
  group: string;
  status: string;
  description: string;
  notes: string[];
  updated_at: string;
  changed: boolean;
  was: string;
  changed_at: string;
}

interface Outage {
  name: string;
  start_at: string;
  end_at: string;
  description: string;
  notes: string;
  status: string;
  swo: string;
  current: boolean;
}

interface Model {
  resources: Resource[];
  outages: Outage[];
  checked_at: string;
  interval: number;
  window_days: number;
  only: string[];
  notice: string;
  error: string;
  refreshes: number;
}

const LABELS = table.labels as Record<string, string>;
const ORDER: string[] = table.order;
const GROUPS = table.groups as [string, string][];
/** Groups longer than this show their plain "up" rows folded away. */
const FOLD_AFTER = 8;
const DAY_MS = 86_400_000;

const label = (status: string) => LABELS[status] ?? (status || "Unknown");
const rank = (status: string) => {
  const i = ORDER.indexOf(status);
  return i < 0 ? 9 : i;
};
const parse = (iso: string) => (iso ? new Date(iso).getTime() : NaN);

function when(iso: string): string {
  const t = parse(iso);
  if (!isFinite(t)) return "";
  const d = new Date(t);
  const day = d.toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" });
  return `${day} ${d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

function clock(iso: string): string {
  const t = parse(iso);
  return isFinite(t) ? new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";
}

function chip(status: string, count?: number): HTMLElement {
  const el = h("span", { class: "sfj-chip", "data-status": status, "data-testid": count === undefined ? "status-chip" : "status-count", title: status });
  el.append(label(status));
  if (count !== undefined) el.append(" ", h("b", { text: String(count) }));
  return el;
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  ensureBoardStyles();
  const viewId = Math.random().toString(36).slice(2);
  let selected: string | null = null; // key of the outage whose description is open
  let lastSignature = "";

  const counts = h("span", { class: "sfj-counts", "data-testid": "status-counts" });
  const checked = h("span", { class: "sfj-muted sfj-small", "data-testid": "status-checked" });
  const refreshBtn = h("button", { class: "sfj-btn", type: "button", "data-testid": "status-refresh", text: "Refresh", title: "Read the status now" });
  const seenBtn = h("button", { class: "sfj-btn", type: "button", "data-testid": "status-seen", text: "Mark as seen" });
  const notice = h("div", { class: "sfj-message", "data-level": "warning", "data-testid": "status-notice", hidden: true });
  const error = h("div", { class: "sfj-message", "data-level": "error", "data-testid": "status-error", hidden: true });
  const changes = h("div", { class: "sfj-message", "data-level": "warning", "data-testid": "status-changes", hidden: true });
  const groupsEl = h("div", { "data-testid": "status-groups" });
  const detail = h("div", { class: "sfj-st-detailbox", "data-testid": "outage-detail", hidden: true });
  const legend = h("span", { class: "sfj-st-legend" }, h("span", {}, h("i"), "planned outage"), h("span", {}, h("i", { class: "sfj-now" }), "outage now"));
  const root = h(
    "div",
    { class: "sfj-root sfj-status", "data-testid": "status-board" },
    h("div", { class: "sfj-card__head" }, h("span", { class: "sfj-card__name", text: "NERSC status" }), counts, h("span", { class: "sfj-spacer" }), checked, refreshBtn, seenBtn),
    notice, error, changes, groupsEl, detail,
    h("div", { class: "sfj-st-foot" }, h("span", { text: "Timeline: now and the next days; hover or click a bar for its description." }), legend),
  );
  applyStateColours(root);
  applyStatusColours(root);
  el.replaceChildren(root);

  refreshBtn.addEventListener("click", () => {
    model.send({ type: "refresh" });
    setText(refreshBtn, "Refreshing…");
  });
  seenBtn.addEventListener("click", () => model.send({ type: "seen" }));

  // -- the timeline ---------------------------------------------------------------------------
  const windowOf = () => {
    const start = isFinite(parse(model.get("checked_at"))) ? parse(model.get("checked_at")) : Date.now();
    const days = model.get("window_days") || 14;
    return { start, end: start + days * DAY_MS, days };
  };

  const outageKey = (o: Outage) => `${o.name}|${o.start_at}|${o.description}`;

  const showDetail = (o: Outage | undefined) => {
    if (!o) {
      detail.hidden = true;
      selected = null;
      return;
    }
    selected = outageKey(o);
    detail.dataset.current = String(o.current);
    const resource = model.get("resources").find((r) => r.name === o.name);
    detail.replaceChildren(
      h("div", {}, h("strong", { text: `${resource?.full_name ?? o.name}: ${o.current ? "outage now" : "planned outage"}` }), h("span", { class: "sfj-muted", text: o.status ? `  · ${o.status}` : "" })),
      h("div", { text: `${when(o.start_at)} → ${o.end_at ? when(o.end_at) : "until further notice"}` }),
      h("div", { text: o.description || "(no description)" }),
    );
    if (o.notes) detail.append(h("div", { class: "sfj-muted", text: o.notes }));
    detail.hidden = false;
  };

  const timeline = (name: string): HTMLElement => {
    const { start, end, days } = windowOf();
    const bar = h("div", { class: "sfj-tl", "data-testid": "outage-timeline", style: `--sfj-days:${days}` });
    bar.append(h("span", { class: "sfj-tl__now", title: "now" }));
    for (const o of model.get("outages").filter((x) => x.name === name)) {
      const s = Math.max(parse(o.start_at), start);
      const e = Math.min(isFinite(parse(o.end_at)) ? parse(o.end_at) : end, end);
      if (!(e > s) && !o.current) continue;
      const left = ((s - start) / (end - start)) * 100;
      const width = Math.max(((e - s) / (end - start)) * 100, 0.8);
      const title = `${o.current ? "Now" : "Planned"}: ${when(o.start_at)} → ${o.end_at ? when(o.end_at) : "?"}\n${o.description}`;
      const seg = h("button", {
        class: "sfj-tl__seg", type: "button", "data-testid": "outage-bar", "data-current": String(o.current),
        title, "aria-label": title, "aria-pressed": String(selected === outageKey(o)),
        style: `left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%`,
      });
      seg.addEventListener("click", () => {
        showDetail(selected === outageKey(o) ? undefined : o);
        schedule();
      });
      bar.append(seg);
    }
    return bar;
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
      ticks.append(h("span", { style: `left:${pct.toFixed(2)}%`, text: new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" }) }));
    }
    return h("div", { class: "sfj-st-axisrow" }, h("span"), h("span"), h("span"), ticks);
  };

  // -- rows -----------------------------------------------------------------------------------
  const row = (r: Resource): HTMLElement => {
    const current = model.get("outages").filter((o) => o.name === r.name && o.current);
    const planned = model.get("outages").filter((o) => o.name === r.name && !o.current);
    const info = h("div", { class: "sfj-st-detail", "data-testid": "status-detail" });
    if (r.changed) {
      const what = r.was ? `changed from ${label(r.was)} to ${label(r.status)}` : "notes changed";
      info.append(h("div", { class: "sfj-st-change", "data-testid": "status-change", text: `${what}${r.changed_at ? ` at ${clock(r.changed_at)}` : ""}` }));
    }
    for (const o of current) info.append(h("div", { class: "sfj-st-now", text: `Outage now: ${o.description}${o.end_at ? ` (until ${when(o.end_at)})` : ""}` }));
    for (const n of r.notes) info.append(h("div", { class: "sfj-st-note", "data-testid": "status-note", text: n }));
    if (!current.length && planned.length) {
      const next = planned[0];
      info.append(h("div", { class: "sfj-muted", text: `Next: ${when(next.start_at)}, ${next.description}` }));
    }
    if (r.status !== "active" && !r.notes.length && !current.length && r.description) info.append(h("div", { class: "sfj-muted", text: r.description }));
    const name = h("div", { class: "sfj-st-name", title: r.updated_at ? `status updated ${when(r.updated_at)}` : "" }, h("b", { text: r.full_name }), h("span", { text: r.name }));
    return h("div", { class: "sfj-st-row", "data-testid": "status-row", "data-resource": r.name, "data-status": r.status, "data-changed": String(r.changed) },
      h("div", {}, chip(r.status)), name, info, timeline(r.name));
  };

  const interesting = (r: Resource) =>
    r.status !== "active" || r.changed || r.notes.length > 0 || model.get("outages").some((o) => o.name === r.name);

  const paint = () => {
    const resources = model.get("resources") ?? [];
    const byStatus = new Map<string, number>();
    for (const r of resources) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    counts.replaceChildren(...Array.from(byStatus.entries()).sort(([a], [b]) => rank(a) - rank(b)).map(([s, n]) => chip(s, n)));
    const interval = model.get("interval");
    setText(checked, model.get("checked_at") ? `checked ${clock(model.get("checked_at"))} · refreshes every ${interval >= 60 ? `${Math.round(interval / 60)} min` : `${interval} s`} while visible` : "");
    setText(refreshBtn, "Refresh");

    const changed = resources.filter((r) => r.changed);
    changes.hidden = changed.length === 0;
    seenBtn.hidden = changed.length === 0;
    setText(changes, changed.length ? `Changed since your last look: ${changed.map((r) => (r.was ? `${r.full_name} ${label(r.was)} → ${label(r.status)}` : `${r.full_name} (notes)`)).join("; ")}` : "");
    notice.hidden = !model.get("notice");
    setText(notice, model.get("notice"));
    error.hidden = !model.get("error");
    setText(error, model.get("error"));

    // Rows are rebuilt only when what they show changed (not at every refresh), so hovering,
    // focus and open sections survive; the timeline moves on every ten minutes.
    const signature = JSON.stringify([resources, model.get("outages"), selected, Math.floor(windowOf().start / 600_000)]);
    if (signature === lastSignature) return;
    lastSignature = signature;
    const groups: HTMLElement[] = [];
    let first = true;
    for (const [key, title] of GROUPS) {
      const members = resources.filter((r) => r.group === key)
        // worst first; otherwise in the order /status lists them (NERSC's own: Perlmutter first)
        .sort((a, b) => rank(a.status) - rank(b.status) || resources.indexOf(a) - resources.indexOf(b));
      if (!members.length) continue;
      const up = members.filter((r) => r.status === "active").length;
      const section = h("section", { class: "sfj-st-group", "data-testid": "status-group", "data-group": key },
        h("div", { class: "sfj-st-group__title" }, h("span", { text: title }), h("span", { class: "sfj-small", text: `${up} of ${members.length} up` })));
      if (first) section.append(axis());
      first = false;
      const shown = members.length > FOLD_AFTER ? members.filter(interesting) : members;
      const folded = members.filter((r) => !shown.includes(r));
      section.append(...shown.map(row));
      if (folded.length) {
        const more = h("details", { class: "sfj-st-more", "data-testid": "status-more" }, h("summary", { text: `${folded.length} more ${title.toLowerCase()}, all up` }));
        more.append(...folded.map(row));
        section.append(more);
      }
      groups.push(section);
    }
    // keep open <details> open across repaints
    const open = new Set(Array.from(groupsEl.querySelectorAll("details[open]")).map((d) => d.closest("section")?.dataset.group));
    groupsEl.replaceChildren(...groups);
    for (const d of Array.from(groupsEl.querySelectorAll("details"))) if (open.has(d.closest("section")?.dataset.group)) d.open = true;
    if (selected) showDetail(model.get("outages").find((o) => outageKey(o) === selected));
    if (!resources.length) groupsEl.replaceChildren(h("div", { class: "sfj-muted sfj-empty", text: "No status read yet." }));
  };
  const { schedule, cancel } = frameScheduler(paint);

  // -- visibility: the kernel refreshes only while some view is on screen --------------------
  let visible = false;
  let onScreen = false;
  const report = () => {
    const now = onScreen && document.visibilityState !== "hidden";
    if (now === visible) return;
    visible = now;
    try {
      model.send({ type: "visible", view: viewId, value: now });
    } catch {
      // no kernel: nothing to refresh
    }
  };
  const observer = typeof IntersectionObserver === "function"
    ? new IntersectionObserver((entries) => {
      onScreen = entries.some((e) => e.isIntersecting);
      report();
    })
    : null;
  if (observer) observer.observe(root);
  else onScreen = true;
  const onVisibility = () => report();
  document.addEventListener("visibilitychange", onVisibility);
  report();

  const events = ["change:resources", "change:outages", "change:checked_at", "change:notice", "change:error", "change:interval"];
  for (const e of events) model.on(e, schedule);
  schedule();

  return () => {
    cancel();
    observer?.disconnect();
    document.removeEventListener("visibilitychange", onVisibility);
    onScreen = false;
    report();
    for (const e of events) model.off(e, schedule);
  };
}

export default { render: guardedRender<Model>("status board", draw) };
