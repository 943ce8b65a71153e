// The JobCard's head (state badge, name, id, machine, cancel with its confirmation) and its
// facts (queued and running times that keep counting, nodes, exit code, reason).

import { h, setText } from "../lib/dom";
import { family, isTerminal } from "../lib/states";
import { formatDuration, liveSeconds } from "../lib/time";
import { badge, confirmBar, fact, updateBadge } from "../lib/ui";
import type { CardView, Liveness } from "./model";

export interface Summary {
  head: HTMLElement;
  confirm: HTMLElement;
  facts: HTMLElement;
  /** Repaint from the traits onto `root` (its state and family) and the pieces above. */
  paint: (root: HTMLElement) => void;
  /** Repaint the times only (every second while one is ticking). */
  paintTimes: () => void;
}

export function summary(view: CardView, live: Liveness): Summary {
  const { model } = view;
  const stateBadge = badge(model.get("state"), "job-state");
  const name = h("span", { class: "sfj-card__name", "data-testid": "job-name" });
  const jobid = h("span", { "data-testid": "job-id" });
  const machine = h("span", { "data-testid": "job-machine" });
  const cancelAttrs = { class: "sfj-btn sfj-btn--danger-outline", type: "button", "data-testid": "cancel-button" };
  const cancel = h("button", { ...cancelAttrs, text: "Cancel job" });
  const confirm = confirmBar(() => {
    view.send({ type: "cancel" });
    cancel.disabled = true;
    setText(cancel, "Cancelling…");
  });
  cancel.addEventListener("click", () =>
    confirm.open(
      `Cancel job ${model.get("jobid")} on ${model.get("machine")}? This cannot be undone.`,
      "Yes, cancel job",
    ),
  );
  const title = h(
    "div",
    { class: "sfj-card__title" },
    name,
    h("span", { class: "sfj-muted sfj-card__id" }, "#", jobid, " · ", machine),
  );
  const head = h("div", { class: "sfj-card__head" }, stateBadge, title, h("span", { class: "sfj-spacer" }), cancel);

  const queued = fact("Queued", "job-queued");
  const running = fact("Running", "job-running");
  const nodes = fact("Nodes", "job-nodes");
  const exit = fact("Exit code", "job-exit-code");
  const reason = fact("Reason", "job-reason");
  const facts = h("div", { class: "sfj-facts" }, queued.el, running.el, nodes.el, exit.el, reason.el);

  const paintTimes = () => {
    const clock = model.get("clock") ?? {};
    const ticking = !live.kernelGone && clock.ticking;
    const q = liveSeconds(clock.queued_s, clock.at_ms, ticking === "queued");
    const r = liveSeconds(clock.running_s, clock.at_ms, ticking === "running");
    queued.el.hidden = q === null;
    setText(queued.value, formatDuration(q));
    running.el.hidden = r === null;
    setText(running.el.firstChild as HTMLElement, isTerminal(model.get("state")) ? "Ran" : "Running");
    setText(running.value, formatDuration(r));
  };

  const paint = (root: HTMLElement) => {
    const state = model.get("state");
    updateBadge(stateBadge, state);
    root.dataset.state = state;
    root.dataset.family = family(state);
    setText(name, model.get("name") || `job ${model.get("jobid")}`);
    setText(jobid, model.get("jobid"));
    setText(machine, model.get("machine"));
    const n = model.get("nodes");
    const list = model.get("nodelist");
    nodes.el.hidden = n === null && !list;
    setText(nodes.value, [n ?? "", list ? `(${list})` : ""].join(" ").trim());
    const code = model.get("exit_code");
    const signal = model.get("exit_signal");
    setText(exit.value, code === null ? "—" : signal ? `${code} (signal ${signal})` : String(code));
    exit.el.dataset.ok = code === null ? "" : String(code === 0 && !signal);
    // squeue says 0:0 for a job that is still running: no exit code until it has ended.
    exit.el.hidden = !isTerminal(state);
    const why = model.get("reason");
    reason.el.hidden = !why || why === "None";
    setText(reason.value, why);
    const cancellable = model.get("can_cancel") && !isTerminal(state) && !live.kernelGone;
    cancel.hidden = !cancellable;
    cancel.disabled = model.get("cancel_requested");
    setText(cancel, model.get("cancel_requested") ? "Cancelling…" : "Cancel job");
    if (!cancellable) confirm.close();
    paintTimes();
  };
  return { head, confirm: confirm.el, facts, paint, paintTimes };
}
