import { describe, expect, it, vi } from "vitest";
import { FakeModel } from "./testing/fake_model";
import { defineView } from "./view";

interface M {
  a: number;
  b: number;
}

describe("a view", () => {
  it("removes every listener it registered when it goes away", () => {
    const model = new FakeModel<M>({ a: 1, b: 2 });
    const painted = vi.fn();
    const onDoc = vi.fn();
    const widget = defineView<M, { type: "x" }>("test", (view) => {
      view.watch(["a", "b"], painted);
      view.onMessage(() => painted());
      view.listen(document, "visibilitychange", onDoc);
    });
    const cleanup = widget.render({ model: model.asModel(), el: document.createElement("div") } as never);
    model.kernelSet({ a: 3 });
    model.kernelSend({ type: "x" });
    model.kernelSend("not a message");
    expect(painted).toHaveBeenCalledTimes(2);
    expect(model.listenerCount()).toBe(3);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    document.dispatchEvent(new Event("visibilitychange"));
    expect(onDoc).not.toHaveBeenCalled();
  });

  it("shows what failed instead of a stack trace, and keeps no listener", () => {
    const model = new FakeModel<M>({ a: 1, b: 2 });
    const el = document.createElement("div");
    const widget = defineView<M>("broken widget", (view) => {
      view.watch(["a"], () => undefined);
      throw new Error("no such trait");
    });
    widget.render({ model: model.asModel(), el } as never);
    expect(el.querySelector("[data-testid=widget-error]")?.textContent).toContain(
      "The broken widget could not be drawn: no such trait",
    );
    expect(model.listenerCount()).toBe(0);
  });
});
