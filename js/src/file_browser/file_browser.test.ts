import { describe, expect, it } from "vitest";
import { allByTestId, byTestId, mount, nextFrame } from "../lib/testing/fake_model";
import widget from "./index";
import type { Row } from "./protocol";

const traits = {
  machine: "perlmutter",
  path: "/home/elvis",
  home: "/home/elvis",
  selected: [] as string[],
  loading: false,
  error: "",
  entry_count: 0,
  transfer: {},
  cwd: "/work",
  local_files: [{ name: "run.sh", size: 2048 }],
  updated: "",
};
const entry = (name: string, kind = "f", size = 10): Row => [
  name,
  kind,
  size,
  "2026-05-01T10:00:00",
  "-rw-r--r--",
  "elvis",
  "elvis",
  "",
];

function browser(entries: Row[]) {
  const mounted = mount(widget, traits);
  mounted.model.kernelSend({ type: "listing", path: "/home/elvis", entries });
  return mounted;
}

describe("the file browser view", () => {
  it("asks for a snapshot, then shows a listing folders first with its count", async () => {
    const { model, el } = browser([entry("b.txt"), entry("data", "d"), entry("a.txt")]);
    expect(model.sentOf("snapshot?")).toHaveLength(1);
    await nextFrame();
    expect(allByTestId(el, "fb-row").map((r) => r.dataset.name)).toEqual(["data", "a.txt", "b.txt"]);
    expect(byTestId(el, "fb-count").textContent).toBe("3 items");
    expect(allByTestId(el, "fb-crumb").map((c) => c.dataset.path)).toEqual(["/", "/home", "/home/elvis"]);
  });

  it("draws only the rows in sight of a 10,000-entry directory", async () => {
    const { el } = browser(Array.from({ length: 10_000 }, (_, i) => entry(`f${String(i).padStart(5, "0")}`)));
    await nextFrame();
    expect(allByTestId(el, "fb-row").length).toBeLessThan(40);
    expect(byTestId(el, "fb-count").textContent).toBe("10,000 items");
  });

  it("selects on click, a range on shift-click, saves it and asks for one preview", async () => {
    const { model, el } = browser([entry("a"), entry("b"), entry("c"), entry("d")]);
    await nextFrame();
    const rows = () => allByTestId(el, "fb-row");
    rows()[1].click();
    expect(model.sentOf("preview")).toEqual([{ type: "preview", path: "/home/elvis/b" }]);
    rows()[3].dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true }));
    expect(model.get("selected")).toEqual(["/home/elvis/b", "/home/elvis/c", "/home/elvis/d"]);
    expect(model.saves).toBe(2);
    await nextFrame();
    expect(rows().map((r) => r.getAttribute("aria-selected"))).toEqual(["false", "true", "true", "true"]);
    expect(byTestId(el, "fb-selection").textContent).toBe("3 selected");
    expect(byTestId<HTMLButtonElement>(el, "fb-download").disabled).toBe(false);
  });

  it("sorts by size on a click of the column, largest first", async () => {
    const { el } = browser([entry("small", "f", 1), entry("big", "f", 9000), entry("mid", "f", 50)]);
    byTestId(el, "fb-sort-size").click();
    await nextFrame();
    expect(allByTestId(el, "fb-row").map((r) => r.dataset.name)).toEqual(["big", "mid", "small"]);
    expect(byTestId(el, "fb-sort-size").getAttribute("aria-sort")).toBe("descending");
  });

  it("opens a folder on double-click and the parent on Up", async () => {
    const { model, el } = browser([entry("data", "d")]);
    await nextFrame();
    byTestId(el, "fb-row").dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    byTestId(el, "fb-up").click();
    expect(model.sentOf("open").map((m) => m.path)).toEqual(["/home/elvis/data", "/home"]);
  });

  it("asks before an upload replaces a file, and shows a text preview", async () => {
    const { model, el } = browser([entry("run.sh")]);
    model.kernelSet({ local_files: [{ name: "run.sh", size: 2048 }] });
    const pick = byTestId<HTMLSelectElement>(el, "fb-upload-select");
    pick.value = "run.sh";
    pick.dispatchEvent(new Event("change"));
    byTestId(el, "fb-upload").click();
    expect(model.sentOf("upload")).toEqual([]);
    byTestId(el, "confirm-cancel").click();
    expect(model.sentOf("upload")).toEqual([{ type: "upload", name: "run.sh", overwrite: true }]);
    model.kernelSend({
      type: "preview",
      kind: "text",
      path: "/home/elvis/run.sh",
      head: ["#!/bin/bash"],
      total_lines: 1,
    });
    expect(byTestId(el, "fb-preview-text").textContent).toBe("#!/bin/bash");
  });

  it("removes all its listeners when it goes away", () => {
    const { model, unmount } = browser([]);
    unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
