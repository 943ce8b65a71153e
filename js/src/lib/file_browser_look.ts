// How the FileBrowser looks: its stylesheet (JupyterLab's --jp-* variables, as styles.css)
// and the row icons.

/** Rows are drawn only in sight (virtual scrolling): each is this tall, plus a margin of rows. */
export const ROW_HEIGHT = 26;
export const OVERSCAN = 8;

export const STYLE = `
.sfj-fb { background: var(--sfj-bg); border: 1px solid var(--sfj-border); border-radius: 8px; padding: 10px 12px; margin: 4px 0; }
.sfj-fb__crumbs { display: flex; flex-wrap: wrap; align-items: center; gap: 2px; min-width: 0; }
.sfj-fb__crumb { background: none; border: none; padding: 1px 4px; border-radius: 4px; cursor: pointer; color: var(--sfj-accent); font: inherit; }
.sfj-fb__crumb:hover { background: var(--sfj-bg2); }
.sfj-fb__crumb[aria-current="location"] { color: var(--sfj-fg); font-weight: 600; cursor: default; }
.sfj-fb__toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 8px 0; }
.sfj-fb__main { display: flex; gap: 12px; align-items: stretch; }
.sfj-fb__list { flex: 3 1 380px; min-width: 0; border: 1px solid var(--sfj-border); border-radius: 6px; overflow: hidden; }
.sfj-fb__cols, .sfj-fb__row { display: grid; grid-template-columns: 22px minmax(0, 1fr) 84px 128px; gap: 6px; align-items: center; padding: 0 8px; }
.sfj-fb__cols { background: var(--sfj-bg2); border-bottom: 1px solid var(--sfj-border); height: 28px; font-weight: 600; }
.sfj-fb__cols button { background: none; border: none; font: inherit; font-weight: 600; color: inherit; cursor: pointer; text-align: left; padding: 0; }
.sfj-fb__cols button[data-num] { text-align: right; }
.sfj-fb__scroller { height: 364px; overflow-y: auto; position: relative; outline: none; }
.sfj-fb__scroller:focus-visible { box-shadow: inset 0 0 0 2px var(--sfj-accent); }
.sfj-fb__window { position: absolute; left: 0; right: 0; top: 0; will-change: transform; }
.sfj-fb__row > span:first-child { display: inline-flex; }
.sfj-fb__row { height: ${ROW_HEIGHT}px; cursor: default; white-space: nowrap; user-select: none; }
.sfj-fb__row:hover { background: var(--sfj-bg2); }
.sfj-fb__row[aria-selected="true"] { background: color-mix(in srgb, var(--sfj-accent) 18%, transparent); }
.sfj-fb__name { overflow: hidden; text-overflow: ellipsis; }
.sfj-fb__link { color: var(--sfj-muted); font-style: italic; }
.sfj-fb__num { text-align: right; font-variant-numeric: tabular-nums; color: var(--sfj-muted); }
.sfj-fb__status { display: flex; gap: 12px; padding: 4px 8px; border-top: 1px solid var(--sfj-border); color: var(--sfj-muted); font-size: 0.92em; }
.sfj-fb__preview { flex: 2 1 260px; min-width: 0; border: 1px solid var(--sfj-border); border-radius: 6px; padding: 8px 10px; max-height: 420px; overflow: auto; }
.sfj-fb__preview pre { margin: 4px 0; font-size: 12px; white-space: pre-wrap; word-break: break-all; background: var(--sfj-code-bg); padding: 6px; border-radius: 4px; }
.sfj-fb__preview img { max-width: 100%; display: block; margin: 6px 0; }
.sfj-fb__preview img[data-array] { image-rendering: pixelated; width: 100%; max-width: 320px; }
.sfj-fb__colorbar { height: 12px; max-width: 320px; border-radius: 2px; }
.sfj-fb__scale { display: flex; justify-content: space-between; max-width: 320px; font-size: 0.85em; color: var(--sfj-muted); font-variant-numeric: tabular-nums; }
.sfj-fb__slider { display: flex; align-items: center; gap: 8px; margin-top: 6px; font-variant-numeric: tabular-nums; }
.sfj-fb__slider input { flex: 1 1 auto; max-width: 240px; }
.sfj-fb__progress { display: flex; gap: 8px; align-items: center; margin: 4px 0 8px; }
.sfj-fb__progress progress { width: 220px; }
`;

// Inline SVG icons: emoji are missing from many Linux fonts (headless browsers, hubs).
export const ICONS: Record<string, string> = {
  d: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path style="fill: var(--sfj-folder-icon)" d="M1 3.5h5l1.5 1.5H15v8.5H1z"/></svg>',
  f: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-opacity=".6" d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3"/></svg>',
  l: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="none" style="stroke: var(--sfj-link-icon)" stroke-width="1.6" d="M4 12l7-7M6.5 4.5H11.5v5"/></svg>',
};
