// AccountView: the user, their projects' CPU and GPU node-hours (a table with small bars:
// used of given, what is left), and this session's API client: security level, IP ranges,
// expiry, with the warnings a user needs before something fails.

import type { AnyModel } from "@anywidget/types";
import { ensureBoardStyles } from "./lib/board_styles";
import { h } from "./lib/dom";
import { formatDuration } from "./lib/time";
import { applyStateColours } from "./lib/states";
import { applyStatusColours } from "./lib/status_colours";
import { guardedRender } from "./lib/ui";

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

interface Model {
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
    h("span", { class: "sfj-acc-bar", "data-level": level, "data-testid": "hours-bar", title: `${what}: ${hours(used)} of ${hours(given)} node-hours used (${Math.round(share * 100)}%)` },
      h("span", { style: `width:${(share * 100).toFixed(1)}%` })),
    h("span", { text: `${hours(left)} left` }),
    h("span", { class: "sfj-muted", text: ` of ${hours(given)}` }),
  );
  return cell;
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  ensureBoardStyles();
  const root = h("div", { class: "sfj-root sfj-account", "data-testid": "account-view" });
  applyStatusColours(root);
  applyStateColours(root);
  el.replaceChildren(root);

  const paint = () => {
    const user = model.get("user") ?? {};
    const full = [user.firstname, user.lastname].filter(Boolean).join(" ");
    const head = h("div", { class: "sfj-card__head" },
      h("span", { class: "sfj-card__name", "data-testid": "account-user", text: user.name ?? "?" }),
      full ? h("span", { class: "sfj-muted", text: full }) : null,
      user.email ? h("span", { class: "sfj-muted sfj-small", text: user.email }) : null,
      h("span", { class: "sfj-spacer" }),
      h("span", { class: "sfj-muted sfj-small", text: model.get("checked_at") ? `checked ${new Date(model.get("checked_at")).toLocaleString()}` : "" }));

    const messages = (model.get("messages") ?? []).map((m) =>
      h("div", { class: "sfj-message", "data-level": m.level, "data-testid": "account-message", text: m.text }));

    const projects = model.get("projects") ?? [];
    const body = h("tbody");
    for (const p of projects) {
      body.append(h("tr", { "data-testid": "project-row", "data-project": p.project },
        h("td", {}, h("b", { text: p.project }), h("div", { class: "sfj-muted sfj-small", text: p.description })),
        h("td", { text: p.role }),
        bar(p.cpu_used, p.cpu_given, `${p.project} CPU`),
        bar(p.gpu_used, p.gpu_given, `${p.project} GPU`)));
    }
    const projectTable = projects.length
      ? h("table", { class: "sfj-acc-table", "data-testid": "project-table" },
        h("thead", {}, h("tr", {}, ...["Project", "Role", "CPU node-hours", "GPU node-hours"].map((t) => h("th", { text: t })))), body)
      : h("div", { class: "sfj-muted sfj-empty", text: "You are in no project." });

    const api = model.get("api_client") ?? {};
    const facts: HTMLElement[] = [];
    if (api.client_id) {
      const level = api.level || "unknown";
      const can = level === "red" ? "can submit jobs and run commands" : level === "green" ? "read-only: cannot submit jobs or run commands" : "";
      const how = [can, api.level_source === "lifetime" ? "level inferred from its lifetime" : ""].filter(Boolean).join("; ");
      facts.push(
        h("span", {}, h("span", { class: "sfj-fact__label", text: "API client" }), h("b", { text: api.name ?? "" }), h("span", { class: "sfj-muted sfj-mono", text: ` ${api.client_id}` })),
        h("span", {}, h("span", { class: "sfj-fact__label", text: "level" }), h("span", { class: "sfj-level", "data-level": level, "data-testid": "client-level", text: level }), h("span", { class: "sfj-muted sfj-small", text: how ? ` ${how}` : "" })),
        h("span", {}, h("span", { class: "sfj-fact__label", text: "IP ranges" }), h("span", { class: "sfj-mono", "data-testid": "client-ranges", text: (api.ip_ranges ?? []).join(", ") || "not known" })),
        h("span", {}, h("span", { class: "sfj-fact__label", text: "expires" }), h("span", { "data-testid": "client-expiry", text: api.expires_at ? `${new Date(api.expires_at).toLocaleString()} (in ${formatDuration(api.expires_in_s ?? 0)})` : "not known" })),
      );
    } else {
      facts.push(h("span", { class: "sfj-muted", text: "API client: not known for this session" }));
    }
    root.replaceChildren(head, ...messages, projectTable, h("div", { class: "sfj-acc-client", "data-testid": "account-client" }, ...facts));
  };

  const events = ["change:user", "change:projects", "change:api_client", "change:messages", "change:checked_at"];
  for (const e of events) model.on(e, paint);
  paint();
  return () => {
    for (const e of events) model.off(e, paint);
  };
}

export default { render: guardedRender<Model>("account view", draw) };
