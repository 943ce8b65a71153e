// StatusBoard's traits (sfapi_jupyter/widgets/status_board.py), and how statuses are named and
// ranked (status_colours.json: one table for Python and TypeScript).

import { h } from "../lib/dom";
import { STATUS_TABLE as table } from "../lib/status_colours";
import type { View } from "../lib/view";
import type { FromView, ToView } from "./protocol";

export interface Resource {
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

export interface Outage {
  name: string;
  start_at: string;
  end_at: string;
  description: string;
  notes: string;
  status: string;
  swo: string;
  current: boolean;
}

export interface Model {
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

export type BoardView = View<Model, ToView, FromView>;

const LABELS = table.labels as Record<string, string>;
const ORDER: string[] = table.order;
export const GROUPS = table.groups as [string, string][];

export const label = (status: string) => LABELS[status] ?? (status || "Unknown");

/** Worst first: the position of `status` in status_colours.json's order (unknown ones last). */
export const rank = (status: string) => {
  const i = ORDER.indexOf(status);
  return i < 0 ? 9 : i;
};

export const parse = (iso: string) => (iso ? new Date(iso).getTime() : Number.NaN);

export function when(iso: string): string {
  const t = parse(iso);
  if (!Number.isFinite(t)) return "";
  const d = new Date(t);
  const day = d.toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" });
  return `${day} ${d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

export function clock(iso: string): string {
  const t = parse(iso);
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit" } as const;
  return Number.isFinite(t) ? new Date(t).toLocaleTimeString(undefined, options) : "";
}

export function chip(status: string, count?: number): HTMLElement {
  const testid = count === undefined ? "status-chip" : "status-count";
  const el = h("span", { class: "sfj-chip", "data-status": status, "data-testid": testid, title: status });
  el.append(label(status));
  if (count !== undefined) el.append(" ", h("b", { text: String(count) }));
  return el;
}
