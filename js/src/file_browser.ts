// FileBrowser: a remote directory, browsed like JupyterLab's own file browser. A listing
// arrives as one message of compact rows; only the rows in sight are in the DOM (virtual
// scrolling), so a directory of 10,000 entries opens and scrolls smoothly. Previews (text,
// images, .npy arrays drawn on the kernel side) arrive as messages with binary buffers.

import type { AnyModel } from "@anywidget/types";
import { copyText, frameScheduler, h, setAttr, setText } from "./lib/dom";
import { requestSnapshot } from "./lib/protocol";
import { shortDateTime } from "./lib/time";
import { ICONS, OVERSCAN, ROW_HEIGHT, STYLE } from "./lib/file_browser_look";
import { type Preview, renderPreview } from "./lib/file_preview";
import { humanBytes } from "./lib/inject_css";
import { confirmBar, guardedRender } from "./lib/ui";

interface Transfer {
  op?: string; name?: string; state?: string; done?: number; total?: number; message?: string; paths?: string[];
}

interface Model {
  machine: string; path: string; home: string; selected: string[]; loading: boolean; error: string;
  entry_count: number; transfer: Transfer; cwd: string; local_files: { name: string; size: number }[]; updated: string;
}

// [name, kind (d/f/l), size, date, perms, user, group, link target]
type Row = [string, string, number, string, string, string, string, string];
type SortKey = "name" | "size" | "date";


const join = (dir: string, name: string) => (dir.endsWith("/") ? dir + name : `${dir}/${name}`);

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  let rows: Row[] = [];
  let view: Row[] = [];
  let listedPath = "";
  let sortKey: SortKey = "name";
  let sortDir = 1;
  let anchor = -1; // index in view of the last plain click (for shift-click ranges)
  let previewPath = "";
  let objectUrl = "";
  let pending: (() => void) | null = null; // what "yes" in the confirm bar does
  const selected = new Set<string>(model.get("selected") ?? []);

  // -- chrome --------------------------------------------------------------------------------
  const title = h("span", { class: "sfj-card__name" });
  const crumbs = h("nav", { class: "sfj-fb__crumbs", "data-testid": "fb-breadcrumbs", "aria-label": "Path" });
  const updated = h("span", { class: "sfj-muted sfj-small" });
  const btn = (text: string, testid: string, label: string) =>
    h("button", { class: "sfj-btn", type: "button", text, "data-testid": testid, title: label, "aria-label": label });
  const homeBtn = btn("⌂ Home", "fb-home", "Go to your home directory");
  const upBtn = btn("↑ Up", "fb-up", "Go to the parent directory");
  const refreshBtn = btn("⟳ Refresh", "fb-refresh", "List this directory again");
  const filter = h("input", { class: "sfj-input", type: "search", placeholder: "Filter by name", "data-testid": "fb-filter", "aria-label": "Filter by name" });
  const copyBtn = btn("Copy path", "fb-copy-path", "Copy the selected path(s), or this directory's");
  const downloadBtn = btn("↓ Download", "fb-download", "Download the selected files to the kernel's working directory");
  const localSelect = h("select", { class: "sfj-input", "data-testid": "fb-upload-select", "aria-label": "File to upload from the kernel's working directory" });
  const uploadBtn = btn("↑ Upload", "fb-upload", "Upload the chosen file into this directory");
  const confirm = confirmBar(() => pending?.());
  const notice = h("div", { class: "sfj-message", "data-level": "error", "data-testid": "fb-error", hidden: true });
  const progressBar = h("progress", { max: 1, value: 0 });
  const progressText = h("span", { class: "sfj-small", "data-testid": "fb-progress-text" });
  const progress = h("div", { class: "sfj-fb__progress", "data-testid": "fb-progress", hidden: true }, progressBar, progressText);

  const sortButtons = new Map<SortKey, HTMLButtonElement>();
  const sortButton = (key: SortKey, label: string, numeric = false) => {
    const b = h("button", { type: "button", text: label, "data-testid": `fb-sort-${key}`, "data-num": numeric || undefined });
    b.addEventListener("click", () => {
      sortDir = sortKey === key ? -sortDir : key === "name" ? 1 : -1;
      sortKey = key;
      rebuild();
    });
    sortButtons.set(key, b);
    return b;
  };
  const cols = h("div", { class: "sfj-fb__cols", role: "row" }, h("span"), sortButton("name", "Name"), sortButton("size", "Size", true), sortButton("date", "Modified"));
  const windowEl = h("div", { class: "sfj-fb__window", role: "presentation" });
  const spacer = h("div", { role: "presentation" });
  const scroller = h("div", { class: "sfj-fb__scroller", tabindex: 0, role: "listbox", "aria-multiselectable": "true", "data-testid": "fb-rows" }, spacer, windowEl);
  const countEl = h("span", { "data-testid": "fb-count" });
  const selEl = h("span", { "data-testid": "fb-selection" });
  const list = h("div", { class: "sfj-fb__list" }, cols, scroller, h("div", { class: "sfj-fb__status" }, countEl, selEl));
  const previewEl = h("div", { class: "sfj-fb__preview", "data-testid": "fb-preview", "aria-live": "polite" });
  const style = h("style", { text: STYLE });
  const root = h(
    "div",
    { class: "sfj-root sfj-fb", "data-testid": "file-browser" },
    style,
    h("div", { class: "sfj-card__head" }, title, crumbs, h("span", { class: "sfj-spacer" }), updated),
    h("div", { class: "sfj-fb__toolbar" }, homeBtn, upBtn, refreshBtn, filter, h("span", { class: "sfj-spacer" }), copyBtn, downloadBtn, localSelect, uploadBtn),
    confirm.el, notice, progress,
    h("div", { class: "sfj-fb__main" }, list, previewEl),
  );
  el.replaceChildren(root);

  const send = (msg: Record<string, unknown>) => model.send(msg);
  const open = (path: string) => send({ type: "open", path });

  // -- sorting, filtering, the visible window ---------------------------------------------------
  const rebuild = () => {
    const needle = filter.value.trim().toLowerCase();
    const shown = needle ? rows.filter((r) => r[0].toLowerCase().includes(needle)) : rows.slice();
    const value = (r: Row): number | string => (sortKey === "size" ? r[2] : sortKey === "date" ? r[3] : r[0].toLowerCase());
    shown.sort((a, b) => {
      const dirs = Number(b[1] === "d") - Number(a[1] === "d"); // folders first, as JupyterLab
      if (dirs) return dirs;
      const va = value(a), vb = value(b);
      return (va < vb ? -1 : va > vb ? 1 : 0) * sortDir || a[0].localeCompare(b[0]);
    });
    view = shown;
    anchor = -1;
    spacer.style.height = `${view.length * ROW_HEIGHT}px`;
    for (const [key, b] of sortButtons) {
      setText(b, `${{ name: "Name", size: "Size", date: "Modified" }[key]}${key === sortKey ? (sortDir > 0 ? " ▲" : " ▼") : ""}`);
      setAttr(b, "aria-sort", key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
    setText(countEl, needle ? `${view.length} of ${rows.length} items` : `${rows.length.toLocaleString()} items`);
    schedule();
  };

  const pool: HTMLElement[] = [];
  const rowEl = (i: number): HTMLElement => {
    let div = pool[i];
    if (!div) {
      div = h("div", { class: "sfj-fb__row", role: "option", "data-testid": "fb-row" },
        h("span"), h("span", { class: "sfj-fb__name" }), h("span", { class: "sfj-fb__num" }), h("span", { class: "sfj-fb__num sfj-small" }));
      pool[i] = div;
    }
    return div;
  };

  const paint = () => {
    const top = scroller.scrollTop;
    const height = scroller.clientHeight || 364;
    const start = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const end = Math.min(view.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    windowEl.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    const wanted: HTMLElement[] = [];
    for (let i = start; i < end; i++) {
      const r = view[i];
      const div = rowEl(i - start);
      const [name, kind, size, date, perms, user, group, target] = r;
      const path = join(listedPath, name);
      div.dataset.name = name;
      div.dataset.kind = kind;
      div.dataset.index = String(i);
      setAttr(div, "aria-selected", String(selected.has(path)));
      setAttr(div, "title", `${perms}  ${user}:${group}${target ? `\n→ ${target}` : ""}\n${path}`);
      const cells = div.children;
      const iconCell = cells[0] as HTMLElement;
      if (iconCell.dataset.icon !== kind) {
        iconCell.innerHTML = ICONS[kind] ?? ICONS.f;
        iconCell.dataset.icon = kind;
        setAttr(iconCell, "title", kind === "d" ? "folder" : kind === "l" ? "symbolic link" : "file");
      }
      const nameCell = cells[1] as HTMLElement;
      if (target) nameCell.replaceChildren(name, h("span", { class: "sfj-fb__link", text: ` → ${target}` }));
      else setText(nameCell, name);
      setText(cells[2], kind === "d" ? "—" : humanBytes(size));
      setText(cells[3], shortDateTime(date));
      setAttr(cells[3] as HTMLElement, "title", date);
      wanted.push(div);
    }
    if (windowEl.childElementCount !== wanted.length || wanted.some((d, i) => windowEl.children[i] !== d)) windowEl.replaceChildren(...wanted);
    setText(selEl, selected.size ? `${selected.size} selected` : "");
    downloadBtn.disabled = !Array.from(selected).some((p) => kindOf(p) !== "d");
  };
  const { schedule, cancel: cancelPaint } = frameScheduler(paint);

  const kindOf = (path: string) => {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return rows.find((r) => r[0] === name)?.[1] ?? "f";
  };

  // -- selection -----------------------------------------------------------------------------------
  const publish = () => {
    model.set("selected", Array.from(selected));
    model.save_changes();
    schedule();
  };
  const choose = (i: number, ev: MouseEvent | KeyboardEvent) => {
    const r = view[i];
    if (!r) return;
    const path = join(listedPath, r[0]);
    if (ev.shiftKey && anchor >= 0) {
      selected.clear();
      for (let k = Math.min(anchor, i); k <= Math.max(anchor, i); k++) selected.add(join(listedPath, view[k][0]));
    } else if (ev.ctrlKey || ev.metaKey) {
      if (selected.has(path)) selected.delete(path);
      else selected.add(path);
      anchor = i;
    } else {
      selected.clear();
      selected.add(path);
      anchor = i;
    }
    publish();
    if (selected.size === 1 && r[1] !== "d" && path !== previewPath) {
      previewPath = path;
      send({ type: "preview", path });
    }
  };
  const enter = (i: number) => {
    const r = view[i];
    if (r && (r[1] === "d" || r[1] === "l")) open(join(listedPath, r[0]));
  };
  const indexOf = (ev: Event) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>(".sfj-fb__row");
    return row ? Number(row.dataset.index) : -1;
  };
  scroller.addEventListener("click", (ev) => {
    const i = indexOf(ev);
    if (i >= 0) choose(i, ev);
    scroller.focus({ preventScroll: true });
  });
  scroller.addEventListener("dblclick", (ev) => enter(indexOf(ev)));
  scroller.addEventListener("scroll", schedule, { passive: true });
  scroller.addEventListener("keydown", (ev) => {
    if (!view.length) return;
    const current = anchor < 0 ? -1 : anchor;
    const move = (to: number) => {
      const i = Math.max(0, Math.min(view.length - 1, to));
      choose(i, ev);
      const top = i * ROW_HEIGHT;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ROW_HEIGHT - scroller.clientHeight;
      ev.preventDefault();
    };
    if (ev.key === "ArrowDown") move(current + 1);
    else if (ev.key === "ArrowUp") move(current - 1);
    else if (ev.key === "Home") move(0);
    else if (ev.key === "End") move(view.length - 1);
    else if (ev.key === "Enter" && current >= 0) enter(current);
    else if (ev.key === "Backspace") upBtn.click();
  });

  // -- toolbar --------------------------------------------------------------------------------------
  homeBtn.addEventListener("click", () => open(model.get("home")));
  upBtn.addEventListener("click", () => {
    const parent = listedPath.replace(/\/[^/]*\/?$/, "") || "/";
    if (parent !== listedPath) open(parent);
  });
  refreshBtn.addEventListener("click", () => send({ type: "refresh" }));
  filter.addEventListener("input", rebuild);
  copyBtn.addEventListener("click", async () => {
    const text = selected.size ? Array.from(selected).join("\n") : listedPath;
    const ok = await copyText(text);
    copyBtn.dataset.copied = String(ok);
    setText(copyBtn, ok ? "✓ Copied" : "Copy failed");
    window.setTimeout(() => setText(copyBtn, "Copy path"), 1500);
  });
  downloadBtn.addEventListener("click", () => {
    const paths = Array.from(selected).filter((p) => kindOf(p) !== "d");
    if (paths.length) send({ type: "download", paths });
  });
  uploadBtn.addEventListener("click", () => {
    const name = localSelect.value;
    if (!name) return;
    if (rows.some((r) => r[0] === name)) {
      pending = () => send({ type: "upload", name, overwrite: true });
      confirm.open(`${name} already exists in ${listedPath}. Replace it?`, `Replace ${name}`);
      return;
    }
    send({ type: "upload", name });
  });
  localSelect.addEventListener("focus", () => send({ type: "local?" }));

  // -- header, errors, transfers -------------------------------------------------------------------
  const paintHeader = () => {
    setText(title, `Files on ${model.get("machine")}`);
    const path = model.get("path") || listedPath;
    const parts = path.split("/").filter(Boolean);
    const items: (HTMLElement | string)[] = [];
    const crumb = (label: string, target: string, current: boolean) => {
      const b = h("button", { class: "sfj-fb__crumb", type: "button", text: label, "data-testid": "fb-crumb", "data-path": target, "aria-current": current ? "location" : undefined });
      if (!current) b.addEventListener("click", () => open(target));
      return b;
    };
    items.push(crumb("/", "/", parts.length === 0));
    parts.forEach((part, i) => {
      if (i) items.push(h("span", { class: "sfj-muted", text: "/" }));
      items.push(crumb(part, "/" + parts.slice(0, i + 1).join("/"), i === parts.length - 1));
    });
    crumbs.replaceChildren(...items);
    const when = model.get("updated");
    setText(updated, model.get("loading") ? "loading…" : when ? `listed ${shortDateTime(when)}` : "");
    root.dataset.loading = String(model.get("loading"));
    const error = model.get("error");
    notice.hidden = !error;
    setText(notice, error);
    const files = model.get("local_files") ?? [];
    const current = localSelect.value;
    const wanted = ["", ...files.map((f) => f.name)];
    if (Array.from(localSelect.options).map((o) => o.value).join("\n") !== wanted.join("\n")) {
      localSelect.replaceChildren(h("option", { value: "", text: `Upload from ${model.get("cwd") || "kernel dir"}…` }),
        ...files.map((f) => h("option", { value: f.name, text: `${f.name} (${humanBytes(f.size)})` })));
      localSelect.value = wanted.includes(current) ? current : "";
    }
    uploadBtn.disabled = !localSelect.value;
  };
  localSelect.addEventListener("change", () => (uploadBtn.disabled = !localSelect.value));

  const paintTransfer = () => {
    const t = model.get("transfer") ?? {};
    if (!t.state) return;
    progress.hidden = false;
    progress.dataset.state = t.state;
    progress.dataset.op = t.op ?? "";
    const total = t.total || 0;
    progressBar.max = total || 1;
    progressBar.value = t.state === "done" ? total || 1 : Math.min(t.done ?? 0, total || 1);
    if (t.state === "running" && !total) progressBar.removeAttribute("value");
    const verb = t.op === "upload" ? "Uploading" : "Downloading";
    const share = total ? `${Math.floor(((t.done ?? 0) * 100) / total)}%` : "";
    setText(progressText, t.state === "running" ? `${verb} ${t.name} ${share}`.trim() : t.message || "");
    if (t.state === "exists") {
      pending = t.op === "upload"
        ? () => send({ type: "upload", name: t.name, overwrite: true })
        : () => send({ type: "download", paths: t.paths ?? [], overwrite: true });
      confirm.open(`${t.message}. Replace?`, "Replace");
    }
  };

  // -- previews ---------------------------------------------------------------------------------------
  let sliceTimer = 0;
  const showPreview = (p: Preview, buffers: ArrayBuffer[] | DataView[]) => {
    if (p.path !== previewPath && selected.size && !selected.has(p.path)) return;
    previewPath = p.path;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = renderPreview(previewEl, p, buffers, (index) => {
      window.clearTimeout(sliceTimer);  // one request when the slider stops, not one per step
      sliceTimer = window.setTimeout(() => send({ type: "slice", path: p.path, index }), 60);
    });
  };
  previewEl.replaceChildren(h("div", { class: "sfj-muted", text: "Select a file to preview it (text, PNG/JPEG, .npy). Double-click a folder to open it." }));

  // -- messages ---------------------------------------------------------------------------------------
  const showListing = (listing: { path: string; entries: Row[] } | undefined) => {
    if (!listing) return;
    const changed = listing.path !== listedPath;
    listedPath = listing.path;
    rows = listing.entries ?? [];
    if (changed) {
      scroller.scrollTop = 0;
      for (const p of Array.from(selected)) if (!p.startsWith(join(listedPath, ""))) selected.delete(p);
    }
    rebuild();
    paintHeader();
  };
  const snapshot = requestSnapshot(model, () => {
    notice.hidden = false;
    notice.dataset.level = "info";
    setText(notice, "Saved view: the kernel that made this browser is not connected, and listings are not saved with the notebook. Run the cell again to browse.");
  });
  const onMessage = (msg: unknown, buffers?: ArrayBuffer[] | DataView[]) => {
    if (!msg || typeof msg !== "object") return;
    const m = msg as { type: string; listing?: { path: string; entries: Row[] }; path?: string; entries?: Row[] };
    if (m.type === "snapshot") {
      snapshot.answered();
      showListing(m.listing);
    } else if (m.type === "listing") showListing({ path: m.path ?? "", entries: m.entries ?? [] });
    else if (m.type === "preview") showPreview(msg as Preview, buffers ?? []);
  };
  model.on("msg:custom", onMessage);
  const onSelected = () => {
    const now = model.get("selected") ?? [];
    if (now.join("\n") !== Array.from(selected).join("\n")) {
      selected.clear();
      now.forEach((p) => selected.add(p));
      schedule();
    }
  };
  model.on("change:selected", onSelected);
  for (const name of ["path", "loading", "error", "updated", "local_files", "cwd", "machine"]) model.on(`change:${name}`, paintHeader);
  model.on("change:transfer", paintTransfer);
  const resize = new ResizeObserver(() => schedule());
  resize.observe(scroller);
  paintHeader();
  paintTransfer();
  rebuild();

  return () => {
    cancelPaint();
    snapshot.cancel();
    resize.disconnect();
    window.clearTimeout(sliceTimer);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    model.off("msg:custom", onMessage);
    model.off("change:selected", onSelected);
    for (const name of ["path", "loading", "error", "updated", "local_files", "cwd", "machine"]) model.off(`change:${name}`, paintHeader);
    model.off("change:transfer", paintTransfer);
  };
}

export default { render: guardedRender<Model>("file browser", draw) };
