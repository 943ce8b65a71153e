// The JobCard's bell: opt-in browser notifications (Notification API, so they reach a user
// whose tab is in the background) when the job ends, with its name and final state, and once
// five minutes before its walltime. Off until clicked; the click asks for permission.

import { h, setAttr, setText } from "../lib/dom";
import { isTerminal } from "../lib/states";
import { liveSeconds } from "../lib/time";
import type { CardView, Liveness } from "./model";

export const WARN_BEFORE_S = 300;

function permitted(): boolean {
  return typeof Notification !== "undefined" && Notification.permission === "granted";
}

export function notifier(view: CardView, live: Liveness): { el: HTMLElement; check: () => void } {
  const { model } = view;
  let on = false;
  let warned = false;
  // Only an end seen live counts: a saved or already ended card never notifies.
  let lastState = model.get("state");
  const el = h("button", { class: "sfj-btn sfj-bell", type: "button", "data-testid": "notify-toggle" });
  const paint = (why = "") => {
    setAttr(el, "aria-pressed", String(on));
    setText(el, on ? "🔔" : "🔕");
    el.title = why || (on ? "You will be notified when this job ends. Click to stop." : "Notify me when this job ends");
    el.hidden = isTerminal(model.get("state")) && !on;
  };
  const say = (title: string, body: string) => {
    // The NERSC panel's tag (labextension/src/notify.ts): when both tell of the same job's end,
    // the browser shows one notification, not two.
    const tag = `sfapi-jupyter-${model.get("machine")}-${model.get("jobid")}`;
    if (on && permitted()) new Notification(title, { body, tag });
  };
  el.addEventListener("click", async () => {
    if (on) {
      on = false;
      return paint();
    }
    if (typeof Notification === "undefined") return paint("This browser has no notifications.");
    const answer = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    on = answer === "granted";
    paint(on ? "" : "Notifications are blocked for this page: allow them in the browser's site settings.");
  });

  const check = () => {
    const state = model.get("state");
    const name = model.get("name") || `job ${model.get("jobid")}`;
    if (state !== lastState && isTerminal(state) && !isTerminal(lastState) && !live.kernelGone)
      say(`${name} ${state}`, `Job ${model.get("jobid")} on ${model.get("machine")} ended ${state}.`);
    lastState = state;
    const limit = model.get("time_limit_s");
    const clock = model.get("clock") ?? {};
    const ran = liveSeconds(clock.running_s, clock.at_ms, clock.ticking === "running");
    if (!warned && limit && ran !== null && !isTerminal(state) && limit - ran <= WARN_BEFORE_S) {
      warned = true;
      say(`${name} near its walltime`, `Job ${model.get("jobid")} reaches its time limit in under 5 minutes.`);
    }
    paint();
  };
  paint();
  return { el, check };
}
