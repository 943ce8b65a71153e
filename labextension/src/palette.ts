// The one palette of the toolkit: job-state and status colours come from the JSON files the
// widgets read (sfapi_jupyter/widgets/), inlined by the bundler; nothing here writes a colour.
// lib/ sits where src/ does, so the relative paths hold for tsc's output as well.
import statesJson from '../../sfapi_jupyter/widgets/states.json';
import statusJson from '../../sfapi_jupyter/widgets/status_colours.json';

interface StatesTable {
  families: Record<string, string>;
  colours: Record<string, [string, string]>;
  terminal: string[];
}
interface StatusTable {
  colours: Record<string, [string, string]>;
  labels: Record<string, string>;
  order: string[];
}

const STATES = statesJson as unknown as StatesTable;
const STATUS = statusJson as unknown as StatusTable;
const TERMINAL = new Set(STATES.terminal);

/** `RUNNING` → `running`; a state the table does not know is `other`. */
export function family(state: string): string {
  return STATES.families[(state || 'UNKNOWN').toUpperCase()] ?? 'other';
}

export function isTerminal(state: string): boolean {
  return TERMINAL.has((state || '').toUpperCase());
}

/** A resource status the palette knows (`active`, `degraded`, `unavailable`), else `other`. */
export function statusKey(status: string): string {
  return status in STATUS.colours ? status : 'other';
}

/** `degraded` → `Degraded`: the words the StatusBoard widget uses. */
export function statusLabel(status: string): string {
  return STATUS.labels[statusKey(status)];
}

/** Worst first, as the StatusBoard orders machines. */
export function statusRank(status: string): number {
  const i = STATUS.order.indexOf(statusKey(status));
  return i < 0 ? STATUS.order.length : i;
}

/**
 * The palette as CSS custom properties on the panel's root (`--sfp-state-running`,
 * `--sfp-state-running-fg`, `--sfp-status-degraded`, ...), which style/base.css uses.
 */
export function applyPalette(root: HTMLElement): void {
  for (const [name, [bg, fg]] of Object.entries(STATES.colours)) {
    root.style.setProperty(`--sfp-state-${name}`, bg);
    root.style.setProperty(`--sfp-state-${name}-fg`, fg);
  }
  for (const [name, [bg, fg]] of Object.entries(STATUS.colours)) {
    root.style.setProperty(`--sfp-status-${name}`, bg);
    root.style.setProperty(`--sfp-status-${name}-fg`, fg);
  }
}
