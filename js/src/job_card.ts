// JobCard: one Slurm job at a glance, live. Traits carry the small state (state, times,
// timeline, counts); output lines and array tasks come as diff messages.

import type { AnyModel } from "@anywidget/types";
import { h, setAttr, setText } from "./lib/dom";
import { LogPanel } from "./lib/log_panel";
import type { TaskRow } from "./lib/protocol";
import { requestSnapshot, send, subscribe } from "./lib/protocol";
import { applyStateColours, family, isTerminal, stateOrder } from "./lib/states";
import { clockTime, formatDuration, liveSeconds, shortDateTime } from "./lib/time";
import { badge, confirmBar, guardedRender, updateBadge } from "./lib/ui";

interface Step {
  state: string;
  time: string;
  seen: string;
}

interface Clock {
  queued_s?: number | null;
  running_s?: number | null;
  ticking?: "queued" | "running" | null;
  at_ms?: number;
}

interface Model {
  jobid: string;
  machine: string;
  name: string;
  array: boolean;
  state: string;
  reason: string;
  exit_code: number | null;
  exit_signal: number | null;
  nodes: number | null;
  nodelist: string;
  partition: string;
  submit_time: string;
  start_time: string;
  end_time: string;
  clock: Clock;
  timeline: Step[];
  array_counts: Record<string, number>;
  stdout_path: string;
  stderr_path: string;
  message: string;
  message_level: string;
  can_cancel: boolean;
  cancel_requested: boolean;
  max_lines: number;
  last_output: Record<string, string[]>;
}

const STREAMS = ["stdout", "stderr"] as const;
type Stream = (typeof STREAMS)[number];

function fact(label: string, testid: string): { el: HTMLElement; value: HTMLElement } {
  const value = h("span", { class: "sfj-fact__value", "data-testid": testid });
  return { el: h("span", { class: "sfj-fact" }, h("span", { class: "sfj-fact__label", text: label }), value), value };
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  let kernelGone = false;
  const cleanups: (() => void)[] = [];
  const on = (event: string, fn: () => void) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };

  // -- header: badge, name, id, machine, cancel --------------------------------------------
  const stateBadge = badge(model.get("state"), "job-state");
  const name = h("span", { class: "sfj-card__name", "data-testid": "job-name" });
  const jobid = h("span", { "data-testid": "job-id" });
  const machine = h("span", { "data-testid": "job-machine" });
  const cancelBtn = h("button", { class: "sfj-btn sfj-btn--danger-outline", type: "button", "data-testid": "cancel-button", text: "Cancel job" });
  const confirm = confirmBar(() => {
    send(model, { type: "cancel" });
    cancelBtn.disabled = true;
    setText(cancelBtn, "Cancelling…");
  });
  cancelBtn.addEventListener("click", () =>
    confirm.open(`Cancel job ${model.get("jobid")} on ${model.get("machine")}? This cannot be undone.`, "Yes, cancel job"),
  );
  const head = h(
    "div",
    { class: "sfj-card__head" },
    stateBadge,
    h("div", { class: "sfj-card__title" }, name, h("span", { class: "sfj-muted sfj-card__id" }, "#", jobid, " · ", machine)),
    h("span", { class: "sfj-spacer" }),
    cancelBtn,
  );

  // -- facts: times, nodes, exit code, reason ----------------------------------------------
  const queued = fact("Queued", "job-queued");
  const running = fact("Running", "job-running");
  const nodes = fact("Nodes", "job-nodes");
  const exit = fact("Exit code", "job-exit-code");
  const reason = fact("Reason", "job-reason");
  const facts = h("div", { class: "sfj-facts" }, queued.el, running.el, nodes.el, exit.el, reason.el);
  const message = h("div", { class: "sfj-message", "data-testid": "job-message", role: "status", hidden: true });
  const savedNote = h("div", { class: "sfj-message", "data-testid": "saved-note", "data-level": "info", hidden: true });
  const timeline = h("ol", { class: "sfj-timeline", "data-testid": "job-timeline", "aria-label": "State history" });

  // -- array tasks -------------------------------------------------------------------------
  const counts = h("div", { class: "sfj-counts", "data-testid": "array-counts" });
  const taskBody = h("tbody");
  const tasks = new Map<string, TaskRow>();
  const taskTable = h(
    "table",
    { class: "sfj-table sfj-table--compact", "data-testid": "array-tasks" },
    h("thead", {}, h("tr", {}, ...["Task", "State", "Elapsed", "Exit", "Nodes / reason"].map((t) => h("th", { text: t })))),
    taskBody,
  );
  const taskSummary = h("summary", { text: "Tasks" });
  const taskList = h("details", { class: "sfj-tasks" }, taskSummary, taskTable);
  const arrayBox = h("div", { class: "sfj-array", hidden: true }, counts, taskList);

  // -- output --------------------------------------------------------------------------------
  const panels = {} as Record<Stream, LogPanel>;
  const tabs = {} as Record<Stream, HTMLButtonElement>;
  const unread: Record<Stream, number> = { stdout: 0, stderr: 0 };
  let active: Stream = "stdout";
  const tabBar = h("div", { class: "sfj-tabs", role: "tablist" });
  const pathEl = h("code", { class: "sfj-path", "data-testid": "output-path" });
  const output = h("div", { class: "sfj-output" }, h("div", { class: "sfj-output__head" }, tabBar, pathEl));
  for (const stream of STREAMS) {
    panels[stream] = new LogPanel({
      stream,
      maxLines: model.get("max_lines"),
      placeholder: "No output yet.",
      onFollowChange: (value) => send(model, { type: "follow", value }),
    });
    tabs[stream] = h("button", { class: "sfj-tab", type: "button", role: "tab", "data-testid": "stream-tab", "data-stream": stream });
    tabs[stream].addEventListener("click", () => select(stream));
    tabBar.append(tabs[stream]);
    output.append(panels[stream].el);
  }
  const select = (stream: Stream) => {
    active = stream;
    unread[stream] = 0;
    paintTabs();
  };
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

  const root = h(
    "div",
    { class: "sfj-root sfj-card", "data-testid": "job-card" },
    head, confirm.el, facts, savedNote, message, timeline, arrayBox, output,
  );
  applyStateColours(root);
  el.replaceChildren(root);

  // -- painting from traits -------------------------------------------------------------------
  const paintTimes = () => {
    const clock = model.get("clock") ?? {};
    const live = !kernelGone;
    const q = liveSeconds(clock.queued_s, clock.at_ms, live && clock.ticking === "queued");
    const r = liveSeconds(clock.running_s, clock.at_ms, live && clock.ticking === "running");
    queued.el.hidden = q === null;
    setText(queued.value, formatDuration(q));
    running.el.hidden = r === null;
    setText(running.el.firstChild as HTMLElement, isTerminal(model.get("state")) ? "Ran" : "Running");
    setText(running.value, formatDuration(r));
  };

  const paintJob = () => {
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
    exit.el.hidden = code === null && !isTerminal(state);
    const why = model.get("reason");
    reason.el.hidden = !why || why === "None";
    setText(reason.value, why);
    const cancellable = model.get("can_cancel") && !isTerminal(state) && !kernelGone;
    cancelBtn.hidden = !cancellable;
    cancelBtn.disabled = model.get("cancel_requested");
    setText(cancelBtn, model.get("cancel_requested") ? "Cancelling…" : "Cancel job");
    if (!cancellable) confirm.close();
    paintTimes();
  };

  const paintMessage = () => {
    const text = model.get("message");
    message.hidden = !text;
    setText(message, text);
    message.dataset.level = model.get("message_level") || "info";
  };

  const paintTimeline = () => {
    const steps = model.get("timeline") ?? [];
    timeline.replaceChildren(
      ...steps.map((step, i) =>
        h(
          "li",
          { class: "sfj-step", "data-state": step.state, "data-family": family(step.state), title: shortDateTime(step.time || step.seen) },
          h("span", { class: "sfj-step__dot" }),
          h("span", { class: "sfj-step__state", text: step.state }),
          h("span", { class: "sfj-step__time", text: clockTime(step.time || step.seen) }),
          i < steps.length - 1 ? h("span", { class: "sfj-step__arrow", "aria-hidden": "true", text: "→" }) : null,
        ),
      ),
    );
    timeline.hidden = steps.length === 0;
  };

  const paintArray = () => {
    const isArray = model.get("array");
    arrayBox.hidden = !isArray;
    const entries = Object.entries(model.get("array_counts") ?? {}).sort(([a], [b]) => stateOrder(a, b));
    counts.replaceChildren(
      h("span", { class: "sfj-muted", text: "Tasks" }),
      ...entries.map(([state, count]) => {
        const chip = badge(state, undefined, count);
        chip.dataset.testid = "array-count";
        chip.dataset.count = String(count);
        return chip;
      }),
    );
    if (!entries.length) counts.append(h("span", { class: "sfj-muted", text: "waiting for the task list…" }));
  };

  const paintTasks = () => {
    const rows = Array.from(tasks.values()).sort((a, b) => Number(a.task) - Number(b.task) || a.task.localeCompare(b.task));
    setText(taskSummary, `Task list (${rows.length})`);
    taskBody.replaceChildren(
      ...rows.map((t) =>
        h(
          "tr",
          { "data-testid": "array-task", "data-jobid": t.jobid, "data-state": t.state },
          h("td", { class: "sfj-mono", text: t.task }),
          h("td", {}, badge(t.state)),
          h("td", { text: formatDuration(t.elapsed_s) }),
          h("td", { text: t.exit_code === null ? "—" : String(t.exit_code) }),
          h("td", { class: "sfj-muted", text: t.nodelist || t.reason }),
        ),
      ),
    );
  };

  paintJob();
  paintMessage();
  paintTimeline();
  paintArray();
  paintTabs();

  // -- messages -------------------------------------------------------------------------------
  const snapshot = requestSnapshot(model, () => {
    kernelGone = true;
    const saved = model.get("last_output") ?? {};
    for (const stream of STREAMS) {
      panels[stream].reset({ lines: saved[stream] ?? [], partial: "" });
      panels[stream].setPlaceholder("No output was saved with the notebook.");
    }
    if (family(model.get("state")) === "failed" && panels.stderr.lineCount()) active = "stderr";
    paintTabs();
    root.classList.add("sfj-card--saved");
    savedNote.hidden = false;
    setText(savedNote, "Saved view: the kernel that made this card is not connected, so this is the job as last seen when the notebook was saved. Run the cell again for a live view.");
    paintJob();
  });
  cleanups.push(snapshot.cancel);
  // A kernel busy in a blocking cell cannot answer "snapshot?" in time, yet it still sends:
  // any message from it means it is there after all.
  const revive = () => {
    if (!kernelGone) return;
    kernelGone = false;
    root.classList.remove("sfj-card--saved");
    savedNote.hidden = true;
    paintJob();
  };
  cleanups.push(
    subscribe(model, (msg) => {
      revive();
      if (msg.type === "snapshot") {
        snapshot.answered();
        for (const stream of STREAMS) panels[stream].reset(msg.streams?.[stream] ?? { lines: [], partial: "" });
        // A failed job's story is usually on stderr: open there.
        if (family(model.get("state")) === "failed" && panels.stderr.lineCount()) active = "stderr";
        paintTabs();
        tasks.clear();
        for (const t of msg.tasks ?? []) tasks.set(t.jobid, t);
        paintTasks();
      } else if (msg.type === "append" && (msg.stream === "stdout" || msg.stream === "stderr")) {
        panels[msg.stream].append(msg.lines, msg.partial);
        if (msg.stream !== active) unread[msg.stream] += msg.lines.length;
        paintTabs();
      } else if (msg.type === "tasks") {
        for (const t of msg.tasks) tasks.set(t.jobid, t);
        paintTasks();
      }
    }),
  );

  for (const key of ["state", "name", "jobid", "machine", "nodes", "nodelist", "exit_code", "exit_signal", "reason", "can_cancel", "cancel_requested", "clock"]) {
    on(`change:${key}`, paintJob);
  }
  on("change:message", paintMessage);
  on("change:message_level", paintMessage);
  on("change:timeline", paintTimeline);
  on("change:array", paintArray);
  on("change:array_counts", paintArray);
  on("change:stdout_path", paintTabs);
  on("change:stderr_path", paintTabs);
  on("change:max_lines", () => STREAMS.forEach((s) => panels[s].setMaxLines(model.get("max_lines"))));
  const ticker = window.setInterval(() => {
    if (model.get("clock")?.ticking && !kernelGone) paintTimes();
  }, 1000);

  return () => {
    window.clearInterval(ticker);
    for (const stream of STREAMS) panels[stream].destroy();
    for (const fn of cleanups) fn();
  };
}

export default { render: guardedRender<Model>("job card", draw) };
