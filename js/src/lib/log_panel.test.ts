import { describe, expect, it } from "vitest";
import { LogPanel } from "./log_panel";
import { byTestId } from "./testing/fake_model";

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `line ${from + i}`);

describe("the log panel", () => {
  it("keeps only the last max lines and says how many it dropped", () => {
    const panel = new LogPanel({ maxLines: 5 });
    panel.append(lines(8), "");
    expect(panel.text()).toBe(lines(5, 3).join("\n"));
    const notice = panel.el.querySelector<HTMLElement>(".sfj-log__notice");
    expect(notice?.hidden).toBe(false);
    expect(notice?.textContent).toContain("3 earlier lines are no longer kept (limit 5 lines)");
    expect(panel.el.querySelectorAll(".sfj-line")).toHaveLength(5);
  });

  it("trims again when the limit shrinks, and counts a snapshot's own dropped lines", () => {
    const panel = new LogPanel({ maxLines: 10 });
    panel.reset({ lines: lines(6), partial: "", dropped: 100 });
    panel.setMaxLines(4);
    expect(panel.lineCount()).toBe(4);
    expect(panel.el.querySelector(".sfj-log__notice")?.textContent).toContain("102 earlier lines");
  });

  it("replaces the unfinished last line each time", () => {
    const panel = new LogPanel({ maxLines: 10 });
    panel.append(["a"], "progress 10%");
    panel.append([], "progress 50%");
    panel.append(["progress 100%"], "");
    expect(panel.text()).toBe("a\nprogress 100%");
    expect(panel.el.querySelectorAll(".sfj-line--partial")).toHaveLength(0);
  });

  it("marks search hits and counts them", () => {
    const panel = new LogPanel({ maxLines: 10 });
    panel.append(["error: one", "fine", "Error: two error"], "");
    const search = byTestId<HTMLInputElement>(panel.el, "search-input");
    search.value = "error";
    search.dispatchEvent(new Event("input"));
    expect(byTestId(panel.el, "search-count").textContent).toBe("3 matches");
    expect(panel.el.querySelectorAll(".sfj-line--hit")).toHaveLength(2);
  });

  it("pauses and resumes following on the user's click, and says so", () => {
    const changes: boolean[] = [];
    const panel = new LogPanel({ maxLines: 10, onFollowChange: (v) => changes.push(v) });
    const toggle = byTestId(panel.el, "follow-toggle");
    toggle.click();
    expect(panel.isFollowing()).toBe(false);
    expect(toggle.textContent).toBe("Paused");
    toggle.click();
    expect(changes).toEqual([false, true]);
    panel.destroy();
  });
});
