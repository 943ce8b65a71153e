// LogTail: a remote file's lines as they are written.

import type { AnyModel } from "@anywidget/types";
import { h, setText } from "./lib/dom";
import { LogPanel } from "./lib/log_panel";
import { requestSnapshot, send, subscribe } from "./lib/protocol";
import { guardedRender } from "./lib/ui";

interface Model {
  title: string;
  path: string;
  status: string;
  max_lines: number;
  last_lines: string[];
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  const title = h("span", { class: "sfj-log__title" });
  const path = h("code", { class: "sfj-path", "data-testid": "log-path" });
  const status = h("span", { class: "sfj-pill", "data-testid": "log-status" });
  const panel = new LogPanel({
    maxLines: model.get("max_lines"),
    onFollowChange: (value) => send(model, { type: "follow", value }),
  });
  const head = h("div", { class: "sfj-log__head" }, title, path, status);
  const root = h("div", { class: "sfj-root sfj-tail" }, head, panel.el);
  el.replaceChildren(root);

  const paint = () => {
    setText(title, model.get("title") || "Output");
    setText(path, model.get("path"));
    path.hidden = !model.get("path");
    const text = model.get("status");
    setText(status, text);
    status.hidden = !text;
    status.dataset.status = text.split(" ")[0] ?? "";
    panel.setPlaceholder(text === "waiting for file" ? "Waiting for the file to appear…" : "No output yet.");
  };
  paint();

  const snapshot = requestSnapshot(model, () => {
    // No kernel: show what the notebook saved.
    panel.reset({ lines: model.get("last_lines") ?? [], partial: "" });
    panel.setPlaceholder("The kernel that made this view is not connected, and no output was saved with the notebook.");
    setText(status, "saved output (kernel not connected)");
    status.hidden = false;
  });
  const off = subscribe(model, (msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paint(); // a late answer: the kernel was busy, not gone
      panel.reset(msg.streams?.[""] ?? { lines: [], partial: "" });
    } else if (msg.type === "append" && msg.stream === "") {
      panel.append(msg.lines, msg.partial);
    }
  });
  const onMax = () => panel.setMaxLines(model.get("max_lines"));
  model.on("change:title", paint);
  model.on("change:path", paint);
  model.on("change:status", paint);
  model.on("change:max_lines", onMax);
  return () => {
    off();
    snapshot.cancel();
    panel.destroy();
    model.off("change:title", paint);
    model.off("change:path", paint);
    model.off("change:status", paint);
    model.off("change:max_lines", onMax);
  };
}

export default { render: guardedRender<Model>("log view", draw) };
