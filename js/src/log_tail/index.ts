// LogTail: a remote file's lines as they are written.

import { h, setText } from "../lib/dom";
import { LogPanel } from "../lib/log_panel";
import { requestSnapshot } from "../lib/protocol";
import { defineView } from "../lib/view";
import type { FromView, ToView } from "./protocol";

interface Model {
  title: string;
  path: string;
  status: string;
  max_lines: number;
  last_lines: string[];
}

export default defineView<Model, ToView, FromView>("log view", (view) => {
  const { model } = view;
  const title = h("span", { class: "sfj-log__title" });
  const path = h("code", { class: "sfj-path", "data-testid": "log-path" });
  const status = h("span", { class: "sfj-pill", "data-testid": "log-status" });
  const panel = new LogPanel({
    maxLines: model.get("max_lines"),
    onFollowChange: (value) => view.send({ type: "follow", value }),
  });
  view.cleanup(() => panel.destroy());
  const head = h("div", { class: "sfj-log__head" }, title, path, status);
  view.el.replaceChildren(h("div", { class: "sfj-root sfj-tail" }, head, panel.el));

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
  view.cleanup(snapshot.cancel);
  view.onMessage((msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paint(); // a late answer: the kernel was busy, not gone
      panel.reset(msg.streams?.[""] ?? { lines: [], partial: "" });
    } else if (msg.type === "append" && msg.stream === "") {
      panel.append(msg.lines, msg.partial);
    }
  });
  view.watch(["title", "path", "status"], paint);
  view.watch(["max_lines"], () => panel.setMaxLines(model.get("max_lines")));
});
