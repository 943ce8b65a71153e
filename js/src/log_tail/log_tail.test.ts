import { afterEach, describe, expect, it, vi } from "vitest";
import { byTestId, mount } from "../lib/testing/fake_model";
import widget from "./index";

const traits = {
  title: "Training log",
  path: "/home/elvis/train.log",
  status: "following",
  max_lines: 3,
  last_lines: ["saved"],
};
afterEach(() => vi.useRealTimers());

describe("the log tail view", () => {
  it("shows the file's lines as they come, keeping the last max_lines", () => {
    const { model, el } = mount(widget, traits);
    expect(byTestId(el, "log-path").textContent).toBe("/home/elvis/train.log");
    expect(byTestId(el, "log-status").dataset.status).toBe("following");
    model.kernelSend({ type: "snapshot", streams: { "": { lines: ["1", "2"], partial: "" } } });
    model.kernelSend({ type: "append", stream: "", lines: ["3", "4"], partial: "5" });
    expect(byTestId(el, "log-lines").textContent).toBe("2345");
  });

  it("tells the kernel when the user pauses following", () => {
    const mounted = mount(widget, traits);
    byTestId(mounted.el, "follow-toggle").click();
    expect(mounted.model.sentOf("follow")).toEqual([{ type: "follow", value: false }]);
  });

  it("repaints on a new status, and shows the saved lines without a kernel", () => {
    vi.useFakeTimers();
    const { model, el, unmount } = mount(widget, traits);
    model.kernelSet({ status: "ended (file removed)" });
    expect(byTestId(el, "log-status").dataset.status).toBe("ended");
    vi.advanceTimersByTime(3000);
    expect(byTestId(el, "log-lines").textContent).toBe("saved");
    expect(byTestId(el, "log-status").textContent).toBe("saved output (kernel not connected)");
    unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
