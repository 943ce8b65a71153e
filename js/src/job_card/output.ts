// The JobCard's output: a tab per stream (stdout, stderr) over a log panel each, with the
// count of lines not yet seen on the hidden tab and the stream's file path.

import { h, setAttr, setText } from "../lib/dom";
import { LogPanel } from "../lib/log_panel";
import type { StreamSnapshot } from "../lib/protocol";
import { family } from "../lib/states";
import type { CardView } from "./model";

export const STREAMS = ["stdout", "stderr"] as const;
export type Stream = (typeof STREAMS)[number];

export interface Output {
  el: HTMLElement;
  panels: Record<Stream, LogPanel>;
  /** Replace both streams (a snapshot, or what the notebook saved). */
  reset: (streams: Partial<Record<Stream, StreamSnapshot>>) => void;
  append: (stream: Stream, lines: string[], partial: string) => void;
  paintTabs: () => void;
}

export function output(view: CardView): Output {
  const { model } = view;
  const panels = {} as Record<Stream, LogPanel>;
  const tabs = {} as Record<Stream, HTMLButtonElement>;
  const unread: Record<Stream, number> = { stdout: 0, stderr: 0 };
  let active: Stream = "stdout";
  const tabBar = h("div", { class: "sfj-tabs", role: "tablist" });
  const pathEl = h("code", { class: "sfj-path", "data-testid": "output-path" });
  const el = h("div", { class: "sfj-output" }, h("div", { class: "sfj-output__head" }, tabBar, pathEl));

  const paintTabs = () => {
    for (const stream of STREAMS) {
      const on = stream === active;
      panels[stream].el.hidden = !on;
      setAttr(tabs[stream], "aria-selected", String(on));
      const n = unread[stream];
      const total = panels[stream].lineCount();
      setText(tabs[stream], n ? `${stream} · ${n} new` : total ? `${stream} · ${total}` : stream);
      tabs[stream].classList.toggle("sfj-tab--unread", n > 0);
    }
    const path = active === "stdout" ? model.get("stdout_path") : model.get("stderr_path");
    setText(pathEl, path);
    pathEl.hidden = !path;
  };
  const select = (stream: Stream) => {
    active = stream;
    unread[stream] = 0;
    paintTabs();
  };
  for (const stream of STREAMS) {
    panels[stream] = new LogPanel({
      stream,
      maxLines: model.get("max_lines"),
      placeholder: "No output yet.",
      onFollowChange: (value) => view.send({ type: "follow", value }),
    });
    view.cleanup(() => panels[stream].destroy());
    tabs[stream] = h("button", {
      class: "sfj-tab",
      type: "button",
      role: "tab",
      "data-testid": "stream-tab",
      "data-stream": stream,
    });
    tabs[stream].addEventListener("click", () => select(stream));
    tabBar.append(tabs[stream]);
    el.append(panels[stream].el);
  }

  const reset = (streams: Partial<Record<Stream, StreamSnapshot>>) => {
    for (const stream of STREAMS) panels[stream].reset(streams[stream] ?? { lines: [], partial: "" });
    // A failed job's story is usually on stderr: open there.
    if (family(model.get("state")) === "failed" && panels.stderr.lineCount()) active = "stderr";
    paintTabs();
  };
  const append = (stream: Stream, lines: string[], partial: string) => {
    panels[stream].append(lines, partial);
    if (stream !== active) unread[stream] += lines.length;
    paintTabs();
  };
  view.watch(["stdout_path", "stderr_path"], paintTabs);
  view.watch(["max_lines"], () => {
    for (const stream of STREAMS) panels[stream].setMaxLines(model.get("max_lines"));
  });
  return { el, panels, reset, append, paintTabs };
}
