// SubmitForm's traits (sfapi_jupyter/widgets/submit_form.py) and small helpers its sections
// share.

import { h } from "../lib/dom";
import type { View } from "../lib/view";
import type { FromView, ToView } from "./protocol";

export interface Issue {
  line: number | null;
  severity: string;
  message: string;
}

export interface Account {
  name: string;
  description: string;
  cpu_left: number | null;
  gpu_left: number | null;
}

export interface Cost {
  node_hours?: number | null;
  kind?: string;
  project?: string;
  left?: number | null;
  assumed_time?: boolean;
  over?: boolean;
}

export interface Model {
  script: string;
  machine: string;
  machines: string[];
  job_name: string;
  account: string;
  qos: string;
  constraint: string;
  nodes: string;
  time: string;
  accounts: Account[];
  default_account: string;
  qos_names: string[];
  issues: Issue[];
  warnings: string[];
  cost: Cost;
  blocked: string;
  busy: string;
  message: string;
  message_level: string;
  view: string;
  card: string | null;
  submitted: { jobid: string; machine: string; name: string }[];
}

export type FormView = View<Model, ToView, FromView>;

export const FIELDS = ["job_name", "account", "qos", "constraint", "nodes", "time"] as const;
export type Field = (typeof FIELDS)[number];

/** How long typing pauses before an edit goes to the kernel. */
export const TYPING_MS = 350;

export function hours(value: number | null | undefined): string {
  if (value === null || value === undefined) return "?";
  return value.toLocaleString(undefined, { maximumFractionDigits: 1 });
}

export function select(testid: string, label: string): HTMLSelectElement {
  return h("select", { class: "sfj-input", "data-testid": testid, "aria-label": label });
}

/** Set a select's options (only when they changed: an open list stays open) and its value. */
export function setOptions(sel: HTMLSelectElement, options: [string, string][], value: string): void {
  const key = JSON.stringify(options);
  if (sel.dataset.options !== key) {
    sel.dataset.options = key;
    sel.replaceChildren(...options.map(([v, text]) => h("option", { value: v, text })));
  }
  if (sel.value !== value) sel.value = value;
}
