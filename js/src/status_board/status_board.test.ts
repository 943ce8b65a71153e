import { describe, expect, it } from "vitest";
import { allByTestId, byTestId, mount, nextFrame } from "../lib/testing/fake_model";
import widget from "./index";
import type { Model, Outage, Resource } from "./model";
import { barPlace } from "./timeline";

const now = "2026-05-02T12:00:00Z";
const resource = (name: string, status: string, more: Partial<Resource> = {}): Resource => ({
  name,
  full_name: name.toUpperCase(),
  group: "compute",
  status,
  description: "",
  notes: [],
  updated_at: "",
  changed: false,
  was: "",
  changed_at: "",
  ...more,
});
const outage = (name: string, start: string, end: string, current = false): Outage => ({
  name,
  start_at: start,
  end_at: end,
  description: "maintenance",
  notes: "",
  status: "",
  swo: "",
  current,
});
const traits: Model = {
  resources: [resource("perlmutter", "active"), resource("dtn", "degraded")],
  outages: [outage("perlmutter", "2026-05-04T12:00:00Z", "2026-05-04T18:00:00Z")],
  checked_at: now,
  interval: 300,
  window_days: 14,
  only: [],
  notice: "",
  error: "",
  refreshes: 1,
};

describe("the status board", () => {
  it("places an outage in the window, and leaves out one past", () => {
    const start = Date.parse(now);
    const end = start + 14 * 86_400_000;
    const place = barPlace(outage("p", "2026-05-04T12:00:00Z", "2026-05-05T12:00:00Z"), start, end);
    expect(place?.left).toBeCloseTo(100 / 7);
    expect(place?.width).toBeCloseTo(100 / 14);
    expect(barPlace(outage("p", "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z"), start, end)).toBeNull();
  });

  it("lists the worst first, counts statuses and opens an outage's description on click", async () => {
    const { el } = mount(widget, traits);
    await nextFrame();
    expect(allByTestId(el, "status-row").map((r) => r.dataset.resource)).toEqual(["dtn", "perlmutter"]);
    expect(allByTestId(el, "status-count").map((c) => c.textContent)).toEqual(["Degraded 1", "Up 1"]);
    byTestId(el, "outage-bar").click();
    await nextFrame();
    expect(byTestId(el, "outage-detail").hidden).toBe(false);
    expect(byTestId(el, "outage-detail").textContent).toContain("PERLMUTTER: planned outage");
  });

  it("marks what changed until seen, and passes on Refresh and Mark as seen", async () => {
    const { model, el } = mount(widget, traits);
    model.kernelSet({ resources: [resource("perlmutter", "unavailable", { changed: true, was: "active" })] });
    await nextFrame();
    expect(byTestId(el, "status-changes").textContent).toContain("PERLMUTTER");
    byTestId(el, "status-seen").click();
    byTestId(el, "status-refresh").click();
    expect(model.sent.map((m) => m.type)).toEqual(["seen", "refresh"]);
    expect(byTestId(el, "status-refresh").textContent).toBe("Refreshing…");
  });

  it("removes all its listeners when it goes away", () => {
    const mounted = mount(widget, traits);
    mounted.unmount();
    expect(mounted.model.listenerCount()).toBe(0);
  });
});
