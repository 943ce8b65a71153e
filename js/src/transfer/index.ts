// TransferCard: one transfer between machines, live (state, files, bytes, rate, progress).
// Everything it shows is in traits: the kernel updates them as the API reports progress.

import { h, setAttr, setText } from "../lib/dom";
import { humanBytes } from "../lib/format";
import { requestSnapshot } from "../lib/protocol";
import { applyStateColours } from "../lib/states";
import { formatDuration } from "../lib/time";
import { fact, paintMessage } from "../lib/ui";
import { defineView } from "../lib/view";
import type { FromView, ToView } from "./protocol";

interface Model {
  transfer_id: string;
  label: string;
  source: string;
  target: string;
  state: string;
  files: number | null;
  files_done: number;
  bytes_expected: number | null;
  bytes_done: number;
  rate: number;
  started_ms: number;
  elapsed_s: number | null;
  completion_time: string;
  message: string;
  message_level: string;
}

const FAMILY: Record<string, string> = {
  STARTING: "pending",
  ACTIVE: "running",
  SUCCEEDED: "completed",
  FAILED: "failed",
  CANCELED: "cancelled",
};

function end(spec: string, testid: string): HTMLElement {
  const colon = spec.indexOf(":");
  const machine = colon > 0 ? spec.slice(0, colon) : "";
  const path = colon > 0 ? spec.slice(colon + 1) : spec;
  return h(
    "span",
    { class: "sfj-transfer__end", "data-testid": testid, title: spec },
    h("span", { class: "sfj-transfer__machine", text: machine }),
    machine ? ":" : "",
    path,
  );
}

/** The percentage done (null while not known), and the time line: elapsed, and what is left. */
export function progressOf(
  state: string,
  expected: number | null,
  done: number,
  rate: number,
  elapsed: number | null,
  startedMs: number,
  nowMs: number = Date.now(),
): { percent: number | null; running: boolean; time: string } {
  let percent: number | null = null;
  if (state === "SUCCEEDED") percent = 100;
  else if (expected) percent = Math.min(100, (100 * done) / expected);
  const running = state === "ACTIVE" || state === "STARTING";
  const seconds = elapsed ?? (running ? (nowMs - startedMs) / 1000 : null);
  let time = formatDuration(seconds);
  if (running && rate && expected && expected > done)
    time += ` · about ${formatDuration(Math.ceil((expected - done) / rate))} left`;
  return { percent, running, time };
}

export default defineView<Model, ToView, FromView>("transfer card", (view) => {
  const { model } = view;
  const badge = h("span", { class: "sfj-badge", "data-testid": "transfer-state", role: "status" });
  const title = h("span", { class: "sfj-card__name", "data-testid": "transfer-label" });
  const tid = h("span", { class: "sfj-muted sfj-small", "data-testid": "transfer-id" });
  const head = h("div", { class: "sfj-card__head" }, badge, h("div", { class: "sfj-card__title" }, title, tid));
  const route = h("div", { class: "sfj-transfer__route" });
  const bar = h("div", { class: "sfj-progress__bar" });
  const barText = h("span", { class: "sfj-progress__text", "data-testid": "transfer-percent" });
  const progressAttrs = { class: "sfj-progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 };
  const progress = h("div", { ...progressAttrs, "data-testid": "transfer-progress" }, bar, barText);
  const files = fact("Files", "transfer-files");
  const bytes = fact("Transferred", "transfer-bytes");
  const rate = fact("Rate", "transfer-rate");
  const time = fact("Time", "transfer-time");
  const facts = h("div", { class: "sfj-facts" }, files.el, bytes.el, rate.el, time.el);
  const message = h("div", { class: "sfj-message", "data-testid": "transfer-message", role: "status", hidden: true });
  const card = h(
    "div",
    { class: "sfj-card sfj-transfer", "data-testid": "transfer-card" },
    head,
    route,
    progress,
    facts,
    message,
  );
  const root = h("div", { class: "sfj-root" }, card);
  applyStateColours(root);
  view.el.replaceChildren(root);

  const paintHead = (state: string) => {
    const fam = FAMILY[state] ?? "other";
    setText(badge, state);
    setAttr(badge, "data-family", fam);
    setAttr(card, "data-family", fam);
    setAttr(card, "data-state", state);
    setText(title, model.get("label") || "Transfer");
    const id = model.get("transfer_id");
    setText(tid, id ? `#${id.slice(0, 8)}` : "starting…");
    setAttr(tid, "title", id || null);
    const spec = `${model.get("source")}>${model.get("target")}`;
    if (route.dataset.spec !== spec) {
      route.dataset.spec = spec;
      route.replaceChildren(
        h("span", { class: "sfj-fact__label", text: "From" }),
        end(model.get("source"), "transfer-source"),
        h("span", { class: "sfj-fact__label", text: "To" }),
        end(model.get("target"), "transfer-target"),
      );
    }
  };

  let timer: number | null = null;
  const stopTimer = () => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  };
  view.cleanup(stopTimer);
  const paint = () => {
    const state = model.get("state") || "STARTING";
    paintHead(state);
    const expected = model.get("bytes_expected");
    const done = model.get("bytes_done") || 0;
    const r = model.get("rate");
    const now = progressOf(state, expected, done, r, model.get("elapsed_s"), model.get("started_ms"));
    const { percent } = now;
    progress.toggleAttribute("data-indeterminate", percent === null && state !== "FAILED" && state !== "CANCELED");
    bar.style.width = percent === null ? "" : `${percent}%`;
    setText(barText, percent === null ? "" : `${Math.floor(percent)}%`);
    setAttr(progress, "aria-valuenow", percent === null ? null : String(Math.floor(percent)));
    const total = model.get("files");
    setText(files.value, total === null ? String(model.get("files_done")) : `${model.get("files_done")} of ${total}`);
    setText(bytes.value, expected === null ? humanBytes(done) : `${humanBytes(done)} of ${humanBytes(expected)}`);
    setText(rate.value, r ? `${humanBytes(r)}/s` : "—");
    setText(time.value, now.time);
    paintMessage(message, model.get("message"), model.get("message_level"));
    // the elapsed time counts on while the transfer runs
    if (now.running && timer === null) timer = window.setInterval(paint, 1000);
    if (!now.running) stopTimer();
  };
  paint();
  const snapshot = requestSnapshot(model, () => undefined);
  view.cleanup(snapshot.cancel);
  view.onMessage((msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paint();
    }
  });
  const traits = ["state", "files", "files_done", "bytes_expected", "bytes_done", "rate", "elapsed_s"] as const;
  view.watch([...traits, "message", "message_level", "transfer_id", "label", "source", "target"], paint);
});
