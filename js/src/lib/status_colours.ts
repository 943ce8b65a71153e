// Resource status and API client level → colour. The table is
// sfapi_jupyter/widgets/status_colours.json, which the Python side reads too: one source,
// bundled in by esbuild.
import table from "../../../sfapi_jupyter/widgets/status_colours.json";

export const STATUS_TABLE = table;

/** The status colours as the CSS variables the board styles use (`--sfj-st-active`,
 *  `--sfj-level-red`, ...), set on a widget's root so no stylesheet holds a copy of them. */
export function applyStatusColours(el: HTMLElement): void {
  const sets: [string, Record<string, string[]>][] = [
    ["st", table.colours],
    ["level", table.client_levels],
  ];
  for (const [prefix, colours] of sets) {
    for (const [name, [bg, fg]] of Object.entries(colours)) {
      el.style.setProperty(`--sfj-${prefix}-${name}`, bg);
      el.style.setProperty(`--sfj-${prefix}-${name}-fg`, fg);
    }
  }
}
