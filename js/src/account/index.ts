// AccountView: the user, their projects' CPU and GPU node-hours (a table with small bars:
// used of given, what is left), and this session's API client: security level, IP ranges,
// expiry, with the warnings a user needs before something fails.

import { h } from "../lib/dom";
import { applyStateColours } from "../lib/states";
import { applyStatusColours } from "../lib/status_colours";
import { formatDuration } from "../lib/time";
import { defineView } from "../lib/view";
import type { FromView, ToView } from "./protocol";

interface Project {
  project: string;
  description: string;
  role: string;
  cpu_given: number | null;
  cpu_used: number | null;
  cpu_left: number | null;
  gpu_given: number | null;
  gpu_used: number | null;
  gpu_left: number | null;
}

interface ApiClient {
  name?: string;
  client_id?: string;
  level?: string;
  level_source?: string;
  ip_ranges?: string[];
  expires_at?: string;
  expires_in_s?: number;
  revoked?: boolean;
}

export interface Model {
  user: { name?: string; uid?: number; firstname?: string; lastname?: string; email?: string };
  projects: Project[];
  api_client: ApiClient;
  messages: { level: string; text: string }[];
  checked_at: string;
}

const hours = (v: number | null | undefined) => (v === null || v === undefined ? "—" : Math.round(v).toLocaleString());

function bar(used: number | null, given: number | null, what: string): HTMLElement {
  const cell = h("td", { class: "sfj-nowrap" });
  if (!given) {
    cell.append(h("span", { class: "sfj-muted", text: given === 0 ? "none" : "—" }));
    return cell;
  }
  const share = Math.max(0, Math.min(1, (used ?? 0) / given));
  const level = share >= 0.9 ? "error" : share >= 0.75 ? "warning" : "ok";
  const left = given - (used ?? 0);
  cell.append(
    h(
      "span",
      {
        class: "sfj-acc-bar",
        "data-level": level,
        "data-testid": "hours-bar",
        title: `${what}: ${hours(used)} of ${hours(given)} node-hours used (${Math.round(share * 100)}%)`,
      },
      h("span", { style: `width:${(share * 100).toFixed(1)}%` }),
    ),
    h("span", { text: `${hours(left)} left` }),
    h("span", { class: "sfj-muted", text: ` of ${hours(given)}` }),
  );
  return cell;
}

function header(user: Model["user"], checkedAt: string): HTMLElement {
  const full = [user.firstname, user.lastname].filter(Boolean).join(" ");
  return h(
    "div",
    { class: "sfj-card__head" },
    h("span", { class: "sfj-card__name", "data-testid": "account-user", text: user.name ?? "?" }),
    full ? h("span", { class: "sfj-muted", text: full }) : null,
    user.email ? h("span", { class: "sfj-muted sfj-small", text: user.email }) : null,
    h("span", { class: "sfj-spacer" }),
    h("span", {
      class: "sfj-muted sfj-small",
      text: checkedAt ? `checked ${new Date(checkedAt).toLocaleString()}` : "",
    }),
  );
}

/** The projects and their CPU and GPU node-hours, each with a bar of what is used. */
function projectTable(projects: Project[]): HTMLElement {
  if (!projects.length) return h("div", { class: "sfj-muted sfj-empty", text: "You are in no project." });
  const body = h("tbody");
  for (const p of projects) {
    body.append(
      h(
        "tr",
        { "data-testid": "project-row", "data-project": p.project },
        h("td", {}, h("b", { text: p.project }), h("div", { class: "sfj-muted sfj-small", text: p.description })),
        h("td", { text: p.role }),
        bar(p.cpu_used, p.cpu_given, `${p.project} CPU`),
        bar(p.gpu_used, p.gpu_given, `${p.project} GPU`),
      ),
    );
  }
  const columns = ["Project", "Role", "CPU node-hours", "GPU node-hours"].map((t) => h("th", { text: t }));
  return h(
    "table",
    { class: "sfj-acc-table", "data-testid": "project-table" },
    h("thead", {}, h("tr", {}, ...columns)),
    body,
  );
}

const labelled = (label: string, ...value: HTMLElement[]) =>
  h("span", {}, h("span", { class: "sfj-fact__label", text: label }), ...value);

/** This session's API client: its security level (what it may do), IP ranges and expiry. */
function clientFacts(api: ApiClient): HTMLElement {
  const facts: HTMLElement[] = [];
  if (api.client_id) {
    const level = api.level || "unknown";
    const can =
      level === "red"
        ? "can submit jobs and run commands"
        : level === "green"
          ? "read-only: cannot submit jobs or run commands"
          : "";
    const how = [can, api.level_source === "lifetime" ? "level inferred from its lifetime" : ""]
      .filter(Boolean)
      .join("; ");
    const expiry = api.expires_at
      ? `${new Date(api.expires_at).toLocaleString()} (in ${formatDuration(api.expires_in_s ?? 0)})`
      : "not known";
    facts.push(
      labelled(
        "API client",
        h("b", { text: api.name ?? "" }),
        h("span", { class: "sfj-muted sfj-mono", text: ` ${api.client_id}` }),
      ),
      labelled(
        "level",
        h("span", { class: "sfj-level", "data-level": level, "data-testid": "client-level", text: level }),
        h("span", { class: "sfj-muted sfj-small", text: how ? ` ${how}` : "" }),
      ),
      labelled(
        "IP ranges",
        h("span", {
          class: "sfj-mono",
          "data-testid": "client-ranges",
          text: (api.ip_ranges ?? []).join(", ") || "not known",
        }),
      ),
      labelled("expires", h("span", { "data-testid": "client-expiry", text: expiry })),
    );
  } else {
    facts.push(h("span", { class: "sfj-muted", text: "API client: not known for this session" }));
  }
  return h("div", { class: "sfj-acc-client", "data-testid": "account-client" }, ...facts);
}

export default defineView<Model, ToView, FromView>("account view", (view) => {
  const { model } = view;
  const root = h("div", { class: "sfj-root sfj-account", "data-testid": "account-view" });
  applyStatusColours(root);
  applyStateColours(root);
  view.el.replaceChildren(root);
  const paint = () => {
    const messages = (model.get("messages") ?? []).map((m) =>
      h("div", { class: "sfj-message", "data-level": m.level, "data-testid": "account-message", text: m.text }),
    );
    root.replaceChildren(
      header(model.get("user") ?? {}, model.get("checked_at")),
      ...messages,
      projectTable(model.get("projects") ?? []),
      clientFacts(model.get("api_client") ?? {}),
    );
  };
  view.watch(["user", "projects", "api_client", "messages", "checked_at"], paint);
  paint();
});
