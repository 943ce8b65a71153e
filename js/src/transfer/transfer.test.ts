import { describe, expect, it } from "vitest";
import { byTestId, mount } from "../lib/testing/fake_model";
import widget, { progressOf } from "./index";

const traits = {
  transfer_id: "0123456789abcdef",
  label: "results",
  source: "dtn:/global/cfs/run",
  target: "perlmutter:/pscratch/run",
  state: "ACTIVE",
  files: 4,
  files_done: 1,
  bytes_expected: 4096,
  bytes_done: 1024,
  rate: 512,
  started_ms: Date.now() - 2000,
  elapsed_s: null as number | null,
  completion_time: "",
  message: "",
  message_level: "",
};

describe("the transfer card", () => {
  it("works out the share done and the time left", () => {
    expect(progressOf("ACTIVE", 4096, 1024, 512, 2, 0)).toEqual({
      percent: 25,
      running: true,
      time: "2s · about 6s left",
    });
    expect(progressOf("SUCCEEDED", null, 10, 0, 30, 0).percent).toBe(100);
    expect(progressOf("STARTING", null, 0, 0, null, 1000, 6000)).toEqual({ percent: null, running: true, time: "5s" });
  });

  it("shows the route, the progress and the bytes, and repaints as the kernel reports", () => {
    const { model, el, unmount } = mount(widget, traits);
    expect(byTestId(el, "transfer-id").textContent).toBe("#01234567");
    expect(byTestId(el, "transfer-source").textContent).toBe("dtn:/global/cfs/run");
    expect(byTestId(el, "transfer-percent").textContent).toBe("25%");
    expect(byTestId(el, "transfer-files").textContent).toBe("1 of 4");
    model.kernelSet({
      state: "SUCCEEDED",
      bytes_done: 4096,
      files_done: 4,
      elapsed_s: 8,
      message: "Done.",
      message_level: "success",
    });
    expect(byTestId(el, "transfer-state").dataset.family).toBe("completed");
    expect(byTestId(el, "transfer-percent").textContent).toBe("100%");
    expect(byTestId(el, "transfer-message").dataset.level).toBe("success");
    unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
