// TransferCard: one transfer between machines, live (state, files, bytes, rate, progress).
// Everything it shows is in traits: the kernel updates them as the API reports progress.

import type { AnyModel } from "@anywidget/types";
import { h, setAttr, setText } from "./lib/dom";
import { humanBytes, injectCss } from "./lib/inject_css";
import { requestSnapshot, subscribe } from "./lib/protocol";
import { applyStateColours } from "./lib/states";
import { formatDuration } from "./lib/time";
import { guardedRender } from "./lib/ui";

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

const CSS = `
.sfj-transfer__route { display: grid; grid-template-columns: auto minmax(0, 1fr); align-items: center; gap: 4px 10px; margin-top: 8px; justify-items: start; }
.sfj-transfer__route > .sfj-fact__label { font-size: 0.92em; }
.sfj-transfer__end { font-family: var(--jp-code-font-family, ui-monospace, Menlo, monospace); font-size: 0.92em;
  padding: 2px 8px; border-radius: 4px; background: var(--sfj-bg2); border: 1px solid var(--sfj-border); overflow-wrap: anywhere; }
.sfj-transfer__machine { font-weight: 700; }
.sfj-progress { position: relative; margin-top: 10px; height: 14px; border-radius: 7px; background: var(--sfj-bg2);
  border: 1px solid var(--sfj-border); overflow: hidden; max-width: 640px; }
.sfj-progress__bar { height: 100%; width: 0; background: var(--sfj-family, var(--sfj-running)); transition: width 0.4s ease; }
.sfj-progress[data-indeterminate] .sfj-progress__bar { width: 30%; animation: sfj-slide 1.4s ease-in-out infinite; }
@keyframes sfj-slide { 0% { margin-left: -30%; } 100% { margin-left: 100%; } }
.sfj-progress__text { position: absolute; inset: 0; text-align: center; font-size: 10.5px; line-height: 13px; font-weight: 700;
  color: var(--sfj-fg); font-variant-numeric: tabular-nums; }
`;

function fact(label: string, testid: string): { el: HTMLElement; value: HTMLElement } {
  const value = h("span", { class: "sfj-fact__value", "data-testid": testid });
  return { el: h("span", { class: "sfj-fact" }, h("span", { class: "sfj-fact__label", text: label }), value), value };
}

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

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  injectCss("transfer", CSS);
  const badge = h("span", { class: "sfj-badge", "data-testid": "transfer-state", role: "status" });
  const title = h("span", { class: "sfj-card__name", "data-testid": "transfer-label" });
  const tid = h("span", { class: "sfj-muted sfj-small", "data-testid": "transfer-id" });
  const head = h("div", { class: "sfj-card__head" }, badge, h("div", { class: "sfj-card__title" }, title, tid));
  const route = h("div", { class: "sfj-transfer__route" });
  const bar = h("div", { class: "sfj-progress__bar" });
  const barText = h("span", { class: "sfj-progress__text", "data-testid": "transfer-percent" });
  const progress = h("div", { class: "sfj-progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "data-testid": "transfer-progress" }, bar, barText);
  const files = fact("Files", "transfer-files");
  const bytes = fact("Transferred", "transfer-bytes");
  const rate = fact("Rate", "transfer-rate");
  const time = fact("Time", "transfer-time");
  const facts = h("div", { class: "sfj-facts" }, files.el, bytes.el, rate.el, time.el);
  const message = h("div", { class: "sfj-message", "data-testid": "transfer-message", role: "status", hidden: true });
  const card = h("div", { class: "sfj-card sfj-transfer", "data-testid": "transfer-card" }, head, route, progress, facts, message);
  const root = h("div", { class: "sfj-root" }, card);
  applyStateColours(root);
  el.replaceChildren(root);

  let timer: number | null = null;
  const paint = () => {
    const state = model.get("state") || "STARTING";
    const fam = FAMILY[state] ?? "other";
    setText(badge, state);
    setAttr(badge, "data-family", fam);
    setAttr(card, "data-family", fam);
    setAttr(card, "data-state", state);
    setText(title, model.get("label") || "Transfer");
    const id = model.get("transfer_id");
    setText(tid, id ? `#${id.slice(0, 8)}` : "starting…");
    setAttr(tid, "title", id || null);
    if (route.dataset.spec !== `${model.get("source")}>${model.get("target")}`) {
      route.dataset.spec = `${model.get("source")}>${model.get("target")}`;
      route.replaceChildren(
        h("span", { class: "sfj-fact__label", text: "From" }),
        end(model.get("source"), "transfer-source"),
        h("span", { class: "sfj-fact__label", text: "To" }),
        end(model.get("target"), "transfer-target"),
      );
    }
    const expected = model.get("bytes_expected");
    const done = model.get("bytes_done") || 0;
    let percent: number | null = null;
    if (state === "SUCCEEDED") percent = 100;
    else if (expected) percent = Math.min(100, (100 * done) / expected);
    const indeterminate = percent === null && state !== "FAILED" && state !== "CANCELED";
    progress.toggleAttribute("data-indeterminate", indeterminate);
    bar.style.width = percent === null ? "" : `${percent}%`;
    setText(barText, percent === null ? "" : `${Math.floor(percent)}%`);
    setAttr(progress, "aria-valuenow", percent === null ? null : String(Math.floor(percent)));
    const total = model.get("files");
    setText(files.value, total === null ? String(model.get("files_done")) : `${model.get("files_done")} of ${total}`);
    setText(bytes.value, expected === null ? humanBytes(done) : `${humanBytes(done)} of ${humanBytes(expected)}`);
    const r = model.get("rate");
    setText(rate.value, r ? `${humanBytes(r)}/s` : "—");
    const elapsed = model.get("elapsed_s");
    const running = state === "ACTIVE" || state === "STARTING";
    const seconds = elapsed ?? (running ? (Date.now() - model.get("started_ms")) / 1000 : null);
    let timeText = formatDuration(seconds);
    if (running && r && expected && expected > done) timeText += ` · about ${formatDuration(Math.ceil((expected - done) / r))} left`;
    setText(time.value, timeText);
    const text = model.get("message");
    message.hidden = !text;
    setText(message, text);
    setAttr(message, "data-level", model.get("message_level") || "info");
    if (running && timer === null) timer = window.setInterval(paint, 1000);
    if (!running && timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  };
  paint();
  const snapshot = requestSnapshot(model, () => undefined);
  const off = subscribe(model, (msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paint();
    }
  });
  const events = ["state", "files", "files_done", "bytes_expected", "bytes_done", "rate", "elapsed_s", "message", "message_level", "transfer_id", "label", "source", "target"].map((k) => `change:${k}`);
  for (const ev of events) model.on(ev, paint);
  return () => {
    off();
    snapshot.cancel();
    if (timer !== null) window.clearInterval(timer);
    for (const ev of events) model.off(ev, paint);
  };
}

export default { render: guardedRender<Model>("transfer card", draw) };
