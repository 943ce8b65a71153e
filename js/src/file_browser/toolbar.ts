// The FileBrowser's head (title, breadcrumbs, when listed), its toolbar (home, up, refresh,
// filter, copy path, download, upload) and what a transfer shows (progress, "replace?").

import { copyText, h, setText } from "../lib/dom";
import { humanBytes } from "../lib/format";
import { shortDateTime } from "../lib/time";
import { confirmBar } from "../lib/ui";
import { parentOf } from "./listing";
import type { Browser } from "./state";

const button = (text: string, testid: string, label: string) =>
  h("button", { class: "sfj-btn", type: "button", text, "data-testid": testid, title: label, "aria-label": label });

/** The title, the path as breadcrumbs (each opens its folder) and when it was listed. */
export function header(b: Browser): { el: HTMLElement; paint: () => void } {
  const { model } = b.view;
  const title = h("span", { class: "sfj-card__name" });
  const crumbs = h("nav", { class: "sfj-fb__crumbs", "data-testid": "fb-breadcrumbs", "aria-label": "Path" });
  const updated = h("span", { class: "sfj-muted sfj-small" });
  const crumb = (label: string, target: string, current: boolean) => {
    const attrs = {
      class: "sfj-fb__crumb",
      type: "button",
      text: label,
      "data-testid": "fb-crumb",
      "data-path": target,
    };
    const el = h("button", { ...attrs, "aria-current": current ? "location" : undefined });
    if (!current) el.addEventListener("click", () => b.open(target));
    return el;
  };
  const paint = () => {
    setText(title, `Files on ${model.get("machine")}`);
    const parts = (model.get("path") || b.listedPath).split("/").filter(Boolean);
    const items: HTMLElement[] = [crumb("/", "/", parts.length === 0)];
    parts.forEach((part, i) => {
      if (i) items.push(h("span", { class: "sfj-muted", text: "/" }));
      items.push(crumb(part, `/${parts.slice(0, i + 1).join("/")}`, i === parts.length - 1));
    });
    crumbs.replaceChildren(...items);
    const when = model.get("updated");
    setText(updated, model.get("loading") ? "loading…" : when ? `listed ${shortDateTime(when)}` : "");
  };
  return {
    el: h("div", { class: "sfj-card__head" }, title, crumbs, h("span", { class: "sfj-spacer" }), updated),
    paint,
  };
}

export interface Toolbar {
  el: HTMLElement;
  filter: HTMLInputElement;
  up: () => void;
  /** The confirmation bar and the transfer's progress, placed under the toolbar. */
  confirmEl: HTMLElement;
  progressEl: HTMLElement;
  /** Download is enabled while files are selected. */
  paintSelection: () => void;
  paintLocalFiles: () => void;
  paintTransfer: () => void;
}

export function toolbar(b: Browser, onFilter: () => void): Toolbar {
  const { model } = b.view;
  const home = button("⌂ Home", "fb-home", "Go to your home directory");
  const upBtn = button("↑ Up", "fb-up", "Go to the parent directory");
  const refresh = button("⟳ Refresh", "fb-refresh", "List this directory again");
  const filter = h("input", {
    class: "sfj-input",
    type: "search",
    placeholder: "Filter by name",
    "data-testid": "fb-filter",
    "aria-label": "Filter by name",
  });
  const copy = button("Copy path", "fb-copy-path", "Copy the selected path(s), or this directory's");
  const download = button("↓ Download", "fb-download", "Download the selected files to the kernel's working directory");
  const local = h("select", {
    class: "sfj-input",
    "data-testid": "fb-upload-select",
    "aria-label": "File to upload from the kernel's working directory",
  });
  const upload = button("↑ Upload", "fb-upload", "Upload the chosen file into this directory");
  let onYes: (() => void) | null = null;
  const confirm = confirmBar(() => onYes?.());
  const ask = (question: string, yes: string, then: () => void) => {
    onYes = then;
    confirm.open(question, yes);
  };
  const progress = transferProgress(b, ask);

  const up = () => {
    const parent = parentOf(b.listedPath);
    if (parent !== b.listedPath) b.open(parent);
  };
  home.addEventListener("click", () => b.open(model.get("home")));
  upBtn.addEventListener("click", up);
  refresh.addEventListener("click", () => b.view.send({ type: "refresh" }));
  filter.addEventListener("input", onFilter);
  copy.addEventListener("click", async () => {
    const ok = await copyText(b.selected.size ? Array.from(b.selected).join("\n") : b.listedPath);
    copy.dataset.copied = String(ok);
    setText(copy, ok ? "✓ Copied" : "Copy failed");
    window.setTimeout(() => setText(copy, "Copy path"), 1500);
  });
  download.addEventListener("click", () => {
    const paths = b.selectedFiles();
    if (paths.length) b.view.send({ type: "download", paths });
  });
  upload.addEventListener("click", () => {
    const name = local.value;
    if (!name) return;
    if (!b.rows.some((r) => r[0] === name)) b.view.send({ type: "upload", name });
    else
      ask(`${name} already exists in ${b.listedPath}. Replace it?`, `Replace ${name}`, () =>
        b.view.send({ type: "upload", name, overwrite: true }),
      );
  });
  local.addEventListener("focus", () => b.view.send({ type: "local?" }));
  local.addEventListener("change", () => (upload.disabled = !local.value));

  const paintLocalFiles = () => {
    const files = model.get("local_files") ?? [];
    const current = local.value;
    const wanted = ["", ...files.map((f) => f.name)];
    if (Array.from(local.options, (o) => o.value).join("\n") !== wanted.join("\n")) {
      local.replaceChildren(
        h("option", { value: "", text: `Upload from ${model.get("cwd") || "kernel dir"}…` }),
        ...files.map((f) => h("option", { value: f.name, text: `${f.name} (${humanBytes(f.size)})` })),
      );
      local.value = wanted.includes(current) ? current : "";
    }
    upload.disabled = !local.value;
  };
  const el = h(
    "div",
    { class: "sfj-fb__toolbar" },
    home,
    upBtn,
    refresh,
    filter,
    h("span", { class: "sfj-spacer" }),
    copy,
    download,
    local,
    upload,
  );
  return {
    el,
    filter,
    up,
    confirmEl: confirm.el,
    progressEl: progress.el,
    paintSelection: () => (download.disabled = b.selectedFiles().length === 0),
    paintLocalFiles,
    paintTransfer: progress.paint,
  };
}

/** The progress of the transfer the kernel reports in the `transfer` trait; when the target
 *  exists, "Replace?" through `ask`. */
function transferProgress(b: Browser, ask: (question: string, yes: string, then: () => void) => void) {
  const { model } = b.view;
  const bar = h("progress", { max: 1, value: 0 });
  const text = h("span", { class: "sfj-small", "data-testid": "fb-progress-text" });
  const el = h("div", { class: "sfj-fb__progress", "data-testid": "fb-progress", hidden: true }, bar, text);
  const paint = () => {
    const t = model.get("transfer") ?? {};
    if (!t.state) return;
    el.hidden = false;
    el.dataset.state = t.state;
    el.dataset.op = t.op ?? "";
    const total = t.total || 0;
    bar.max = total || 1;
    bar.value = t.state === "done" ? total || 1 : Math.min(t.done ?? 0, total || 1);
    if (t.state === "running" && !total) bar.removeAttribute("value");
    const verb = t.op === "upload" ? "Uploading" : "Downloading";
    const share = total ? `${Math.floor(((t.done ?? 0) * 100) / total)}%` : "";
    setText(text, t.state === "running" ? `${verb} ${t.name} ${share}`.trim() : t.message || "");
    if (t.state === "exists") {
      const again = () =>
        t.op === "upload"
          ? b.view.send({ type: "upload", name: t.name ?? "", overwrite: true })
          : b.view.send({ type: "download", paths: t.paths ?? [], overwrite: true });
      ask(`${t.message}. Replace?`, "Replace", again);
    }
  };
  return { el, paint };
}
