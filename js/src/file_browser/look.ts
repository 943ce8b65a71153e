// How the FileBrowser's rows look: their height (virtual scrolling computes with it, and
// style.css reads it as --sfj-fb-row-height) and their icons.

/** Rows are drawn only in sight (virtual scrolling): each is this tall, plus a margin of rows. */
export const ROW_HEIGHT = 26;
export const OVERSCAN = 8;

// Inline SVG icons: emoji are missing from many Linux fonts (headless browsers, hubs).
export const ICONS: Record<string, string> = {
  d: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path style="fill: var(--sfj-folder-icon)" d="M1 3.5h5l1.5 1.5H15v8.5H1z"/></svg>',
  f: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-opacity=".6" d="M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3"/></svg>',
  l: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="none" style="stroke: var(--sfj-link-icon)" stroke-width="1.6" d="M4 12l7-7M6.5 4.5H11.5v5"/></svg>',
};
