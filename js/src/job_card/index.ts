// JobCard: one Slurm job at a glance, live. Traits carry the small state (state, times,
// timeline, counts); output lines and array tasks come as diff messages.

import { h, setText } from "../lib/dom";
import { requestSnapshot } from "../lib/protocol";
import { applyStateColours } from "../lib/states";
import { paintMessage } from "../lib/ui";
import { defineView } from "../lib/view";
import { costPanel } from "./cost";
import { framesPanel } from "./frames";
import { taskGrid } from "./grid";
import type { Liveness, Model } from "./model";
import { notifier } from "./notify";
import { output, STREAMS } from "./output";
import type { FromView, ToView } from "./protocol";
import { summary } from "./summary";
import { arrayTasks, timeline } from "./tasks";

const SAVED_NOTE =
  "Saved view: the kernel that made this card is not connected, so this is the job as last seen when the notebook was saved. Run the cell again for a live view.";

export default defineView<Model, ToView, FromView>("job card", (view) => {
  const { model } = view;
  const live: Liveness = { kernelGone: false };
  const top = summary(view, live);
  const message = h("div", { class: "sfj-message", "data-testid": "job-message", role: "status", hidden: true });
  const savedNote = h("div", { class: "sfj-message", "data-testid": "saved-note", "data-level": "info", hidden: true });
  const steps = timeline(view);
  const tasks = arrayTasks(view);
  const grid = taskGrid(view);
  const cost = costPanel(view);
  const frames = framesPanel(view);
  const bell = notifier(view, live);
  top.head.append(bell.el);
  const out = output(view);
  const root = h(
    "div",
    { class: "sfj-root sfj-card", "data-testid": "job-card" },
    top.head,
    top.confirm,
    top.facts,
    savedNote,
    message,
    cost.el,
    steps.el,
    tasks.el,
    grid.el,
    frames.el,
    out.el,
  );
  applyStateColours(root);
  view.el.replaceChildren(root);

  const paintJob = () => top.paint(root);
  const paintMsg = () => paintMessage(message, model.get("message"), model.get("message_level"));
  paintJob();
  paintMsg();
  cost.paint();
  frames.paint();
  steps.paint();
  tasks.paintCounts();
  out.paintTabs();

  // The lines saved with the summary stand in until the kernel's snapshot: the view drawn
  // afresh when the job ends (its summary written into the output) is never blank meanwhile.
  const savedOutput = () => {
    const saved = model.get("last_output") ?? {};
    return Object.fromEntries(STREAMS.map((s) => [s, { lines: saved[s] ?? [], partial: "" }]));
  };
  out.reset(savedOutput());

  const snapshot = requestSnapshot(model, () => {
    live.kernelGone = true;
    out.reset(savedOutput());
    for (const stream of STREAMS) out.panels[stream].setPlaceholder("No output was saved with the notebook.");
    root.classList.add("sfj-card--saved");
    savedNote.hidden = false;
    setText(savedNote, SAVED_NOTE);
    paintJob();
    frames.paint();
  });
  view.cleanup(snapshot.cancel);
  // A kernel busy in a blocking cell cannot answer "snapshot?" in time, yet it still sends:
  // any message from it means it is there after all.
  const revive = () => {
    if (!live.kernelGone) return;
    live.kernelGone = false;
    root.classList.remove("sfj-card--saved");
    savedNote.hidden = true;
    paintJob();
  };
  view.onMessage((msg, buffers) => {
    revive();
    if (msg.type === "snapshot") {
      snapshot.answered();
      out.reset(msg.streams ?? {});
      if (msg.tasks) {
        tasks.update(msg.tasks, true);
        grid.update(msg.tasks, true);
      }
      if (msg.frames) frames.reset(msg.frames, buffers);
    } else if (msg.type === "append" && (msg.stream === "stdout" || msg.stream === "stderr")) {
      out.append(msg.stream, msg.lines, msg.partial);
    } else if (msg.type === "tasks") {
      tasks.update(msg.tasks, false);
      grid.update(msg.tasks, false);
    } else if (msg.type === "frame") {
      frames.add(msg.frame, buffers[0], msg.first);
    }
  });

  const jobTraits = [
    "state",
    "name",
    "jobid",
    "machine",
    "nodes",
    "nodelist",
    "exit_code",
    "exit_signal",
    "reason",
  ] as const;
  view.watch([...jobTraits, "can_cancel", "cancel_requested", "clock"], paintJob);
  view.watch(["message", "message_level"], paintMsg);
  view.watch(["timeline"], steps.paint);
  view.watch(["array", "array_counts"], tasks.paintCounts);
  view.watch(["task_shown", "can_resubmit", "resubmitted"], grid.paint);
  view.watch(["cost"], cost.paint);
  view.watch(
    ["watch_pattern", "watch_dir", "frames_seen", "frames_note", "frames_note_level", "last_frame"],
    frames.paint,
  );
  view.watch(["state", "time_limit_s"], bell.check);
  view.every(1000, () => {
    if (model.get("clock")?.ticking && !live.kernelGone) {
      top.paintTimes();
      bell.check();
    }
  });
});
