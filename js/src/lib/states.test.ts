import { describe, expect, it } from "vitest";
import { applyStateColours, family, isTerminal, stateLabel, stateOrder } from "./states";

describe("job states", () => {
  it("sorts states in the order of a job's life, unknown ones last then by name", () => {
    const states = ["CANCELLED", "BOOT_FAIL", "COMPLETED", "RUNNING", "ZOMBIE", "PENDING", "FAILED"];
    expect(states.sort(stateOrder)).toEqual([
      "PENDING",
      "RUNNING",
      "COMPLETED",
      "FAILED",
      "CANCELLED",
      "BOOT_FAIL",
      "ZOMBIE",
    ]);
  });

  it("gives each state its colour family, whatever its case", () => {
    expect(family("running")).toBe("running");
    expect(family("REQUEUED")).toBe("pending");
    expect(family("OUT_OF_MEMORY")).toBe("failed");
    expect(family("")).toBe("unknown");
    expect(family("NOT_A_SLURM_STATE")).toBe("other");
  });

  it("knows which states are the end of a job", () => {
    expect(isTerminal("TIMEOUT")).toBe(true);
    expect(isTerminal("completing")).toBe(false);
    expect(isTerminal("RUNNING")).toBe(false);
  });

  it("labels states for reading and sets the family colours from states.json on a root", () => {
    expect(stateLabel("OUT_OF_MEMORY")).toBe("OUT OF MEMORY");
    const root = document.createElement("div");
    applyStateColours(root);
    expect(root.style.getPropertyValue("--sfj-failed")).toMatch(/^#/);
    expect(root.style.getPropertyValue("--sfj-running-fg")).toMatch(/^#/);
  });
});
