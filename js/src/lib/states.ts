// Slurm state → colour family. The table is sfapi_jupyter/widgets/states.json, which the
// Python side reads too: one source, bundled in by esbuild.
import table from "../../../sfapi_jupyter/widgets/states.json";

export type Family = "pending" | "running" | "completed" | "failed" | "cancelled" | "unknown" | "other";

const FAMILY = table.families as Record<string, Family>;
const TERMINAL = new Set<string>(table.terminal);
/** Order in which states are listed (counts, filters): the job's life from left to right. */
const ORDER: string[] = table.order;

export function family(state: string): Family {
  return FAMILY[(state || "UNKNOWN").toUpperCase()] ?? "other";
}

export function isTerminal(state: string): boolean {
  return TERMINAL.has((state || "").toUpperCase());
}

export function stateOrder(a: string, b: string): number {
  const ia = ORDER.indexOf(a),
    ib = ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** `OUT_OF_MEMORY` → `OUT OF MEMORY` for display; data attributes keep Slurm's spelling. */
export function stateLabel(state: string): string {
  return (state || "UNKNOWN").replace(/_/g, " ");
}

/** The family colours as the CSS variables the stylesheets use (`--sfj-running`, ...), set on
 *  each widget's root so the stylesheet holds no copy of them. */
export function applyStateColours(el: HTMLElement): void {
  for (const [name, [bg, fg]] of Object.entries(table.colours as Record<string, string[]>)) {
    el.style.setProperty(`--sfj-${name}`, bg);
    el.style.setProperty(`--sfj-${name}-fg`, fg);
  }
}
