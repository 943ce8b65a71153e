// Slurm state → colour family; the same table as sfapi_jupyter/widgets/_format.py.

export type Family = "pending" | "running" | "completed" | "failed" | "cancelled" | "unknown" | "other";

const FAMILY: Record<string, Family> = {
  PENDING: "pending",
  REQUEUED: "pending",
  REQUEUE_HOLD: "pending",
  REQUEUE_FED: "pending",
  RESV_DEL_HOLD: "pending",
  CONFIGURING: "pending",
  RUNNING: "running",
  COMPLETING: "running",
  STAGE_OUT: "running",
  RESIZING: "running",
  SIGNALING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  TIMEOUT: "failed",
  NODE_FAIL: "failed",
  OUT_OF_MEMORY: "failed",
  BOOT_FAIL: "failed",
  DEADLINE: "failed",
  SPECIAL_EXIT: "failed",
  CANCELLED: "cancelled",
  REVOKED: "cancelled",
  PREEMPTED: "cancelled",
  UNKNOWN: "unknown",
};

const TERMINAL = new Set([
  "BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL",
  "OUT_OF_MEMORY", "PREEMPTED", "REVOKED", "SPECIAL_EXIT", "TIMEOUT",
]);

/** Order in which states are listed (counts, filters): the job's life from left to right. */
const ORDER = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "COMPLETED", "FAILED",
  "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "CANCELLED"];

export function family(state: string): Family {
  return FAMILY[(state || "UNKNOWN").toUpperCase()] ?? "other";
}

export function isTerminal(state: string): boolean {
  return TERMINAL.has((state || "").toUpperCase());
}

export function stateOrder(a: string, b: string): number {
  const ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** `OUT_OF_MEMORY` → `OUT OF MEMORY` for display; data attributes keep Slurm's spelling. */
export function stateLabel(state: string): string {
  return (state || "UNKNOWN").replace(/_/g, " ");
}
