import { describe, expect, it } from "vitest";
import { allByTestId, byTestId, mount, nextFrame } from "../lib/testing/fake_model";
import widget from "./index";
import { job } from "./testing";

const traits = {
  machine: "perlmutter",
  user: "elvis",
  counts: { RUNNING: 2 } as Record<string, number>,
  can_cancel: true,
  updated: "",
};

describe("the queue table view", () => {
  it("shows the snapshot's rows newest first, then moves a done job to the done section", async () => {
    const { model, el } = mount(widget, traits);
    model.kernelSend({ type: "snapshot", rows: [job("7"), job("9")], at_ms: Date.now() });
    await nextFrame();
    expect(allByTestId(el, "queue-row").map((r) => r.dataset.jobid)).toEqual(["9", "7"]);
    model.kernelSend({ type: "done", jobids: ["7"] });
    await nextFrame();
    const done = byTestId(el, "done-section");
    expect(done.hidden).toBe(false);
    expect(allByTestId(done, "queue-row").map((r) => r.dataset.jobid)).toEqual(["7"]);
  });

  it("cancels the selected jobs after the user confirms", async () => {
    const { model, el } = mount(widget, traits);
    model.kernelSend({ type: "upsert", rows: [job("7"), job("9")], at_ms: Date.now() });
    await nextFrame();
    const box = el.querySelector<HTMLInputElement>('[data-jobid="7"] [data-testid=row-select]');
    box?.click();
    await nextFrame();
    expect(byTestId(el, "cancel-button").textContent).toBe("Cancel selected (1)");
    byTestId(el, "cancel-button").click();
    byTestId(el, "confirm-cancel").click();
    expect(model.sentOf("cancel")).toEqual([{ type: "cancel", jobids: ["7"] }]);
    await nextFrame();
    expect(el.querySelector('[data-jobid="7"]')?.classList.contains("sfj-row--cancelling")).toBe(true);
  });

  it("repaints its counts when the kernel changes them, and cleans up", () => {
    const mounted = mount(widget, traits);
    const { model, el } = mounted;
    model.kernelSet({ counts: { PENDING: 1, RUNNING: 3 } });
    expect(byTestId(el, "queue-counts").textContent).toBe("PENDING1RUNNING3");
    mounted.unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
