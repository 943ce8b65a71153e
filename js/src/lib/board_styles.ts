// Styles of the status board and the account view, injected once per document (the shared
// styles.css holds the common pieces: roots, buttons, messages).

const CSS = `
.sfj-status, .sfj-account { background: var(--sfj-bg); border: 1px solid var(--sfj-border); border-radius: 8px; padding: 12px 14px; margin: 4px 0; }
.sfj-chip { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px; border-radius: 999px; font-weight: 700; font-size: 0.85em; white-space: nowrap; background: var(--sfj-st-other); color: var(--sfj-st-other-fg); }
.sfj-chip[data-status="active"] { background: var(--sfj-st-active); color: var(--sfj-st-active-fg); }
.sfj-chip[data-status="degraded"] { background: var(--sfj-st-degraded); color: var(--sfj-st-degraded-fg); }
.sfj-chip[data-status="unavailable"] { background: var(--sfj-st-unavailable); color: var(--sfj-st-unavailable-fg); }
.sfj-chip b { font-variant-numeric: tabular-nums; }
.sfj-st-group { margin-top: 12px; }
.sfj-st-group__title { font-weight: 700; font-size: 0.95em; text-transform: uppercase; letter-spacing: 0.04em; color: var(--sfj-muted); border-bottom: 1px solid var(--sfj-border); padding-bottom: 2px; margin-bottom: 2px; display: flex; gap: 8px; align-items: baseline; }
.sfj-st-row, .sfj-st-axisrow { display: grid; grid-template-columns: 92px minmax(140px, 200px) minmax(200px, 1fr) 250px; gap: 10px; align-items: center; padding: 4px 2px; }
.sfj-st-row { border-bottom: 1px solid color-mix(in srgb, var(--sfj-border) 45%, transparent); }
.sfj-st-row[data-changed="true"] { background: color-mix(in srgb, var(--sfj-st-degraded) 14%, transparent); box-shadow: inset 3px 0 0 var(--sfj-st-degraded); }
.sfj-st-name b { font-weight: 600; }
.sfj-st-name span { display: block; font-size: 0.85em; color: var(--sfj-muted); font-family: var(--jp-code-font-family, ui-monospace, monospace); }
.sfj-st-detail { font-size: 0.92em; min-width: 0; }
.sfj-st-detail > div + div { margin-top: 2px; }
.sfj-st-note { border-left: 2px solid var(--sfj-border); padding-left: 6px; }
.sfj-st-now { color: var(--sfj-st-unavailable); font-weight: 600; }
.sfj-st-change { color: var(--sfj-fg); font-weight: 600; }
.sfj-st-change::before { content: "● "; color: var(--sfj-st-degraded); }
.sfj-tl { position: relative; height: 16px; border-radius: 3px; background: repeating-linear-gradient(90deg, color-mix(in srgb, var(--sfj-border) 50%, transparent) 0 1px, transparent 1px calc(100% / var(--sfj-days, 14))); background-color: var(--sfj-bg2); }
.sfj-tl__seg { position: absolute; top: 2px; bottom: 2px; min-width: 7px; border-radius: 3px; cursor: pointer; border: none; padding: 0; background: repeating-linear-gradient(135deg, var(--sfj-st-degraded) 0 4px, color-mix(in srgb, var(--sfj-st-degraded) 65%, white) 4px 8px); }
.sfj-tl__seg[data-current="true"] { background: var(--sfj-st-unavailable); }
.sfj-tl__seg:focus-visible, .sfj-tl__seg[aria-pressed="true"] { outline: 2px solid var(--sfj-fg); outline-offset: 1px; }
.sfj-tl__now { position: absolute; top: -2px; bottom: -2px; width: 2px; left: 0; background: var(--sfj-accent); }
.sfj-st-axis { position: relative; height: 16px; font-size: 0.78em; color: var(--sfj-muted); }
.sfj-st-axis span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.sfj-st-axisrow { padding-top: 0; padding-bottom: 0; }
.sfj-st-more { margin-top: 2px; }
.sfj-st-more summary { cursor: pointer; color: var(--sfj-muted); font-size: 0.92em; padding: 3px 2px; }
.sfj-st-detailbox { margin-top: 10px; padding: 8px 10px; border: 1px solid var(--sfj-border); border-left: 4px solid var(--sfj-st-degraded); border-radius: 4px; background: var(--sfj-bg2); }
.sfj-st-detailbox[data-current="true"] { border-left-color: var(--sfj-st-unavailable); }
.sfj-st-foot { display: flex; gap: 14px; align-items: center; margin-top: 8px; font-size: 0.85em; color: var(--sfj-muted); flex-wrap: wrap; }
.sfj-st-legend { display: inline-flex; gap: 10px; align-items: center; font-size: 0.85em; color: var(--sfj-muted); }
.sfj-st-legend i { display: inline-block; width: 14px; height: 9px; border-radius: 2px; vertical-align: middle; margin-right: 3px; background: repeating-linear-gradient(135deg, var(--sfj-st-degraded) 0 4px, color-mix(in srgb, var(--sfj-st-degraded) 65%, white) 4px 8px); }
.sfj-st-legend i.sfj-now { background: var(--sfj-st-unavailable); }
.sfj-acc-table { border-collapse: collapse; margin-top: 8px; width: 100%; font-variant-numeric: tabular-nums; }
.sfj-acc-table th, .sfj-acc-table td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid color-mix(in srgb, var(--sfj-border) 45%, transparent); vertical-align: middle; }
.sfj-acc-table th { color: var(--sfj-muted); font-weight: 600; font-size: 0.9em; }
.sfj-acc-bar { display: inline-block; width: 120px; height: 10px; border-radius: 5px; background: color-mix(in srgb, var(--sfj-border) 60%, transparent); vertical-align: middle; overflow: hidden; margin-right: 8px; }
.sfj-acc-bar > span { display: block; height: 100%; background: var(--sfj-accent); }
.sfj-acc-bar[data-level="warning"] > span { background: var(--sfj-st-degraded); }
.sfj-acc-bar[data-level="error"] > span { background: var(--sfj-st-unavailable); }
.sfj-acc-client { display: flex; flex-wrap: wrap; gap: 6px 22px; margin-top: 10px; padding-top: 8px; border-top: 1px solid var(--sfj-border); }
.sfj-level { display: inline-block; padding: 1px 9px; border-radius: 999px; font-weight: 700; font-size: 0.85em; background: var(--sfj-level-other); color: var(--sfj-level-other-fg); }
.sfj-level[data-level="red"] { background: var(--sfj-level-red); color: var(--sfj-level-red-fg); }
.sfj-level[data-level="green"] { background: var(--sfj-level-green); color: var(--sfj-level-green-fg); }
.sfj-level[data-level="orange"] { background: var(--sfj-level-orange); color: var(--sfj-level-orange-fg); }
.sfj-level[data-level="yellow"] { background: var(--sfj-level-yellow); color: var(--sfj-level-yellow-fg); }
`;

export function ensureBoardStyles(doc: Document = document): void {
  const id = "sfj-board-styles";
  if (doc.getElementById(id)) return;
  const style = doc.createElement("style");
  style.id = id;
  style.textContent = CSS;
  doc.head.append(style);
}
