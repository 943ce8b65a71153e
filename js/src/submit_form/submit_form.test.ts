import { afterEach, describe, expect, it, vi } from "vitest";
import { byTestId, FakeModel, mount } from "../lib/testing/fake_model";
import { costText } from "./checks";
import { lineCount } from "./editor";
import { accountOptions } from "./fields";
import widget, { submitBlocker } from "./index";
import type { Model } from "./model";

const traits: Model = {
  script: "#!/bin/bash\n#SBATCH -N 1\nsrun hostname\n",
  machine: "perlmutter",
  machines: ["perlmutter"],
  job_name: "",
  account: "",
  qos: "",
  constraint: "cpu",
  nodes: "1",
  time: "",
  accounts: [{ name: "m1234", description: "", cpu_left: 10, gpu_left: 0 }],
  default_account: "m1234",
  qos_names: ["debug", "regular"],
  issues: [],
  warnings: [],
  cost: {},
  blocked: "",
  busy: "",
  message: "",
  message_level: "",
  view: "form",
  card: null,
  submitted: [],
};
afterEach(() => vi.useRealTimers());

describe("the submit form's rules of display", () => {
  it("words the cost and the account choices", () => {
    expect(costText({ node_hours: 2, kind: "GPU", project: "m1234", left: 10 })).toBe(
      "2 GPU node-hours of the 10 left in m1234",
    );
    expect(costText({ node_hours: 1, assumed_time: true })).toBe("1 CPU node-hour (no time limit: counted at 48 h)");
    expect(accountOptions([], "m7", "")).toEqual([
      ["", "default project"],
      ["m7", "m7 (not one of your projects)"],
    ]);
    expect(submitBlocker("", 2)).toBe("Fix the 2 errors above first");
    expect(lineCount("a\nb\n")).toBe(2);
  });
});

describe("the submit form view", () => {
  it("sends a script edit once typing pauses, and a submit with the latest text", () => {
    vi.useFakeTimers();
    const { model, el } = mount(widget, traits);
    const editor = byTestId<HTMLTextAreaElement>(el, "script-editor");
    expect(editor.value).toBe(traits.script);
    editor.value += "echo 1\n";
    editor.dispatchEvent(new Event("input"));
    editor.value += "echo 2\n";
    editor.dispatchEvent(new Event("input"));
    expect(model.sentOf("script")).toHaveLength(0);
    vi.advanceTimersByTime(400);
    expect(model.sentOf("script")).toHaveLength(1);
    editor.value += "echo 3\n";
    editor.dispatchEvent(new Event("input"));
    byTestId(el, "submit-button").click();
    expect(model.sent.slice(-2).map((m) => m.type)).toEqual(["script", "submit"]);
    expect(model.sentOf("script")[1].value).toContain("echo 3");
  });

  it("disables submit while the kernel's check finds an error, and shows it", () => {
    const { model, el } = mount(widget, traits);
    model.kernelSet({ issues: [{ line: 2, severity: "error", message: "bad -N" }] });
    const submit = byTestId<HTMLButtonElement>(el, "submit-button");
    expect(submit.disabled).toBe(true);
    expect(submit.title).toBe("Fix the error above first");
    expect(byTestId(el, "form-checks").textContent).toBe("Errorline 2: bad -N");
  });

  it("sends a field edit, and shows the submitted job's own card", async () => {
    const { model, el, unmount } = mount(widget, traits);
    const qos = byTestId<HTMLSelectElement>(el, "field-qos");
    qos.value = "debug";
    qos.dispatchEvent(new Event("change"));
    expect(model.sentOf("field")).toEqual([{ type: "field", name: "qos", value: "debug" }]);
    const card = new FakeModel({ ...cardTraits });
    model.others.set("card-1", card);
    model.kernelSet({
      view: "job",
      card: "IPY_MODEL_card-1",
      submitted: [{ jobid: "77", machine: "perlmutter", name: "x" }],
    });
    await vi.waitFor(() => expect(el.querySelector("[data-testid=job-card]")).not.toBeNull());
    expect(byTestId(el, "submit-form").hidden).toBe(true);
    expect(byTestId(el, "form-job-label").textContent).toContain("Job 77 submitted");
    expect(card.sentOf("snapshot?")).toHaveLength(1);
    unmount();
    expect(model.listenerCount()).toBe(0);
    expect(card.listenerCount()).toBe(0);
  });
});

const cardTraits = {
  jobid: "77",
  machine: "perlmutter",
  name: "x",
  array: false,
  state: "PENDING",
  reason: "Priority",
  exit_code: null,
  exit_signal: null,
  nodes: 1,
  nodelist: "",
  partition: "",
  submit_time: "",
  start_time: "",
  end_time: "",
  clock: {},
  timeline: [],
  array_counts: {},
  stdout_path: "",
  stderr_path: "",
  message: "",
  message_level: "",
  can_cancel: true,
  cancel_requested: false,
  max_lines: 100,
  last_output: {},
};
