import { afterEach, describe, expect, it, vi } from "vitest";
import { allByTestId, byTestId, mount } from "../lib/testing/fake_model";
import { costFacts, sbatchSize } from "./cost";
import { tooltip } from "./grid";
import widget from "./index";
import type { TaskRow } from "./protocol";
import { traits } from "./test_traits";

const task = (n: string, state: string, exit_code: number | null = null): TaskRow => ({
  jobid: `42_${n}`,
  task: n,
  state,
  exit_code,
  elapsed_s: 12,
  nodelist: "nid001",
  reason: "",
});

describe("the cost panel", () => {
  const oom = {
    state: "OUT_OF_MEMORY",
    elapsed: 4,
    peak_memory: 64 * 1024 ** 2,
    memory: 64 * 1024 ** 2,
    cpu_efficiency: 0.31,
    node_hours: 0.00111,
    charged_node_hours: null,
    out_of_memory: true,
    advice: "It ran out of memory: ask for more next time (#SBATCH --mem=96M per node), or spread the work.",
    notes: ["no QOS factor"],
  };

  it("is hidden until the job has a cost, then shows its figures and the OOM advice", () => {
    const { model, el } = mount(widget, traits);
    expect(byTestId(el, "cost-panel").hidden).toBe(true);
    model.kernelSet({ state: "OUT_OF_MEMORY", cost: oom });
    expect(byTestId(el, "cost-panel").hidden).toBe(false);
    expect(byTestId(el, "cost-memory").textContent).toBe("64M of 64M (100%)");
    expect(byTestId(el, "cost-cpu").textContent).toBe("31%");
    expect(byTestId(el, "cost-node-hours").textContent).toBe("0.00111 (no QOS charge factor known)");
    expect(byTestId(el, "cost-advice").hidden).toBe(false);
    expect(byTestId(el, "cost-advice").textContent).toContain("--mem=96M");
    expect(byTestId(el, "cost-panel").dataset.oom).toBe("true");
  });

  it("says charged node-hours when the factor is known, and leaves out what sacct did not give", () => {
    const facts = costFacts({ elapsed: 3600, node_hours: 2, charged_node_hours: 4 });
    expect(facts.map(([l, t]) => `${l}: ${t}`)).toEqual(["Elapsed: 1h 00m", "Charged: 4 node-hours"]);
    expect(sbatchSize(1.5 * 1024 ** 3)).toBe("1.5G");
    expect(sbatchSize(300 * 1024 ** 2)).toBe("300M");
  });
});

describe("the array task grid", () => {
  it("draws a cell per task, the failed ones marked, and a click asks for that task's output", () => {
    const { model, el } = mount(widget, { ...traits, array: true, can_resubmit: true });
    model.kernelSend({
      type: "tasks",
      tasks: [task("2", "FAILED", 1), task("1", "COMPLETED", 0), task("3", "RUNNING")],
    });
    const cells = allByTestId(el, "grid-task");
    expect(cells.map((c) => c.dataset.jobid)).toEqual(["42_1", "42_2", "42_3"]);
    expect(cells.map((c) => c.dataset.failed)).toEqual(["false", "true", "false"]);
    expect(cells[1].title).toBe("task 2: FAILED, exit 1, 12s, nid001");
    expect(cells[0].getAttribute("aria-pressed")).toBe("true");
    cells[1].click();
    expect(model.sentOf("task")).toEqual([{ type: "task", jobid: "42_2" }]);
    model.kernelSet({ task_shown: "42_2" });
    expect(allByTestId(el, "grid-task")[1].getAttribute("aria-pressed")).toBe("true");
    expect(byTestId(el, "task-grid-note").textContent).toBe("output of task 2");
    model.kernelSend({ type: "tasks", tasks: [{ ...task("7", "RUNNING"), jobid: "1000009" }] });
    model.kernelSet({ task_shown: "1000009" }); // a task with a job id of its own
    expect(byTestId(el, "task-grid-note").textContent).toBe("output of task 7");
  });

  it("resubmits the failed tasks with one click and says the new job's id", () => {
    const { model, el } = mount(widget, { ...traits, array: true, can_resubmit: true });
    model.kernelSend({
      type: "tasks",
      tasks: [task("1", "FAILED", 1), task("5", "TIMEOUT"), task("9", "COMPLETED", 0)],
    });
    const button = byTestId(el, "resubmit-failed") as HTMLButtonElement;
    expect(button.textContent).toBe("Resubmit 2 failed tasks (--array=1,5)");
    button.click();
    button.click();
    expect(model.sentOf("resubmit")).toHaveLength(1);
    model.kernelSet({ can_resubmit: false, resubmitted: "77" });
    expect(button.hidden).toBe(true);
    expect(byTestId(el, "task-grid-note").textContent).toContain("resubmitted as job 77");
  });

  it("has no resubmit button when the kernel cannot resubmit, and says the task list in tooltips", () => {
    const { model, el } = mount(widget, { ...traits, array: true });
    model.kernelSend({ type: "tasks", tasks: [task("1", "FAILED", 1)] });
    expect(byTestId(el, "resubmit-failed").hidden).toBe(true);
    expect(tooltip({ ...task("4", "PENDING"), nodelist: "", reason: "Priority", elapsed_s: 0 })).toBe(
      "task 4: PENDING, 0s, Priority",
    );
  });
});

describe("the bell", () => {
  const made: { title: string; body?: string; tag?: string }[] = [];
  class Recorder {
    static permission = "default";
    static requestPermission = vi.fn(async () => {
      Recorder.permission = "granted";
      return "granted";
    });
    constructor(title: string, options?: { body?: string; tag?: string }) {
      made.push({ title, body: options?.body, tag: options?.tag });
    }
  }
  afterEach(() => {
    made.length = 0;
    Recorder.permission = "default";
    vi.unstubAllGlobals();
  });

  it("asks permission on click, then notifies once when the job ends, with name and state", async () => {
    vi.stubGlobal("Notification", Recorder);
    const { model, el } = mount(widget, traits);
    model.kernelSet({ state: "COMPLETED" });
    expect(made).toHaveLength(0); // off until asked for
    model.kernelSet({ state: "RUNNING" });
    byTestId(el, "notify-toggle").click();
    await vi.waitFor(() => expect(byTestId(el, "notify-toggle").getAttribute("aria-pressed")).toBe("true"));
    expect(Recorder.requestPermission).toHaveBeenCalled();
    model.kernelSet({ state: "FAILED" });
    model.kernelSet({ reason: "NonZeroExitCode" });
    expect(made).toEqual([
      { title: "train FAILED", body: "Job 4242 on perlmutter ended FAILED.", tag: "sfapi-jupyter-perlmutter-4242" },
    ]);
  });

  it("warns once five minutes before the walltime", async () => {
    Recorder.permission = "granted";
    vi.stubGlobal("Notification", Recorder);
    const { model, el } = mount(widget, traits);
    byTestId(el, "notify-toggle").click();
    await vi.waitFor(() => expect(byTestId(el, "notify-toggle").getAttribute("aria-pressed")).toBe("true"));
    model.kernelSet({ clock: { running_s: 3400, ticking: "running", at_ms: Date.now() } });
    model.kernelSet({ time_limit_s: 3601 });
    model.kernelSet({ time_limit_s: 3600 });
    expect(made.map((m) => m.title)).toEqual(["train near its walltime"]);
  });

  it("says so when the browser blocks notifications", async () => {
    Recorder.requestPermission.mockImplementationOnce(async () => "denied");
    vi.stubGlobal("Notification", Recorder);
    const { el } = mount(widget, traits);
    byTestId(el, "notify-toggle").click();
    await vi.waitFor(() => expect(byTestId(el, "notify-toggle").title).toContain("blocked"));
    expect(byTestId(el, "notify-toggle").getAttribute("aria-pressed")).toBe("false");
  });
});
