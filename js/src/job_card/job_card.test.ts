import { afterEach, describe, expect, it, vi } from "vitest";
import { allByTestId, byTestId, mount } from "../lib/testing/fake_model";
import widget from "./index";
import { taskOrder } from "./tasks";
import { traits } from "./test_traits";

afterEach(() => vi.useRealTimers());

describe("the job card view", () => {
  it("shows the job's state, facts and timeline, and repaints when the state changes", () => {
    const { model, el } = mount(widget, traits);
    expect(byTestId(el, "job-state").textContent).toBe("RUNNING");
    expect(byTestId(el, "job-nodes").textContent).toBe("2 (nid[001-002])");
    expect(byTestId(el, "job-running").textContent).toBe("1m 00s");
    expect(byTestId(el, "job-reason").parentElement?.hidden).toBe(true);
    model.kernelSet({ exit_code: 0 }); // squeue's 0:0 while it runs: not an exit code yet
    expect(byTestId(el, "job-exit-code").parentElement?.hidden).toBe(true);
    model.kernelSet({ state: "FAILED", exit_code: 1, clock: { running_s: 61, ticking: null } });
    expect(byTestId(el, "job-exit-code").parentElement?.hidden).toBe(false);
    expect(byTestId(el, "job-state").dataset.family).toBe("failed");
    expect(byTestId(el, "job-exit-code").textContent).toBe("1");
    expect(byTestId(el, "cancel-button").hidden).toBe(true);
    expect(byTestId(el, "job-card").dataset.family).toBe("failed");
  });

  it("cancels only after the user confirms", () => {
    const { model, el } = mount(widget, traits);
    byTestId(el, "cancel-button").click();
    expect(model.sentOf("cancel")).toHaveLength(0);
    byTestId(el, "confirm-cancel").click();
    expect(model.sentOf("cancel")).toHaveLength(1);
    expect(byTestId(el, "cancel-button").textContent).toBe("Cancelling…");
  });

  it("shows output from the snapshot and appends, counting unread lines on the hidden tab", () => {
    const { model, el } = mount(widget, traits);
    model.kernelSend({ type: "snapshot", streams: { stdout: { lines: ["a", "b"], partial: "" } }, tasks: [] });
    model.kernelSend({ type: "append", stream: "stderr", lines: ["oops"], partial: "" });
    const tabs = allByTestId(el, "stream-tab").map((t) => t.textContent);
    expect(tabs).toEqual(["stdout · 2", "stderr · 1 new"]);
    expect(byTestId(el, "output-path").textContent).toBe("/home/elvis/slurm-4242.out");
  });

  it("shows the saved lines in a view drawn afresh until the kernel's snapshot, with no saved-view note", () => {
    const { model, el } = mount(widget, { ...traits, state: "COMPLETED" });
    const lines = () => el.querySelector("[data-stream=stdout] [data-testid=log-lines]")?.textContent;
    expect(lines()).toBe("saved line");
    expect(byTestId(el, "saved-note").hidden).toBe(true);
    model.kernelSend({ type: "snapshot", streams: { stdout: { lines: ["a", "saved line"], partial: "" } } });
    expect(lines()).toBe("asaved line");
  });

  it("says it is a saved view when no kernel answers, showing the saved output", () => {
    vi.useFakeTimers();
    const { model, el } = mount(widget, traits);
    vi.advanceTimersByTime(3000);
    expect(byTestId(el, "saved-note").hidden).toBe(false);
    expect(byTestId(el, "cancel-button").hidden).toBe(true);
    expect(el.querySelector("[data-stream=stdout] [data-testid=log-lines]")?.textContent).toBe("saved line");
    model.kernelSend({ type: "append", stream: "stdout", lines: ["live"], partial: "" });
    expect(byTestId(el, "saved-note").hidden).toBe(true);
  });

  it("lists an array's tasks in task order", () => {
    const { model, el } = mount(widget, { ...traits, array: true, array_counts: { RUNNING: 1, PENDING: 2 } });
    const task = (task: string) => ({
      jobid: `42_${task}`,
      task,
      state: "PENDING",
      exit_code: null,
      elapsed_s: null,
      nodelist: "",
      reason: "",
    });
    model.kernelSend({ type: "tasks", tasks: [task("10"), task("2"), task("1")] });
    expect(allByTestId(el, "array-task").map((r) => r.dataset.jobid)).toEqual(["42_1", "42_2", "42_10"]);
    expect(allByTestId(el, "array-count").map((c) => c.dataset.count)).toEqual(["2", "1"]);
    expect([task("b"), task("a")].sort(taskOrder).map((t) => t.task)).toEqual(["a", "b"]);
  });

  it("removes all its listeners and its clock when it goes away", () => {
    const mounted = mount(widget, traits);
    mounted.unmount();
    expect(mounted.model.listenerCount()).toBe(0);
  });
});
