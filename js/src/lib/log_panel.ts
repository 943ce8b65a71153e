// The output panel used by LogTail and JobCard: a bounded list of lines with follow/pause,
// search highlighting and copy. Lines arrive as diffs ({lines, partial}); the unfinished last
// line is replaced each time.

import { copyText, frameScheduler, h, setAttr, setText } from "./dom";
import type { StreamSnapshot } from "./protocol";

export interface LogPanelOptions {
  stream?: string;
  maxLines: number;
  placeholder?: string;
  onFollowChange?: (following: boolean) => void;
}

const NEAR_BOTTOM_PX = 24;

export class LogPanel {
  readonly el: HTMLElement;
  readonly toolbar: HTMLElement;
  private readonly body: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly copyBtn: HTMLButtonElement;
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount: HTMLElement;
  private lines: string[] = [];
  private lineEls: HTMLElement[] = [];
  private partial = "";
  private partialEl: HTMLElement | null = null;
  private dropped = 0;
  private following = true;
  private query = "";
  private currentMatch = -1;
  private programmaticScroll = false;
  private readonly scroller = frameScheduler(() => this.scrollToEnd());
  private maxLines: number;
  private readonly opts: LogPanelOptions;

  constructor(opts: LogPanelOptions) {
    this.opts = opts;
    this.maxLines = Math.max(1, opts.maxLines);
    this.searchInput = h("input", {
      class: "sfj-input sfj-log__search",
      type: "search",
      placeholder: "Search output",
      "aria-label": "Search output",
      "data-testid": "search-input",
    });
    this.matchCount = h("span", { class: "sfj-muted sfj-log__matches", "data-testid": "search-count" });
    this.followBtn = h("button", { class: "sfj-btn sfj-btn--toggle", type: "button", "data-testid": "follow-toggle" });
    this.copyBtn = h("button", { class: "sfj-btn", type: "button", "data-testid": "copy-button", text: "Copy" });
    this.toolbar = h(
      "div",
      { class: "sfj-log__tools" },
      this.searchInput,
      this.matchCount,
      this.followBtn,
      this.copyBtn,
    );
    this.notice = h("div", { class: "sfj-log__notice", hidden: true });
    this.empty = h("div", { class: "sfj-log__empty", text: opts.placeholder ?? "No output yet." });
    this.body = h("div", {
      class: "sfj-log__lines",
      "data-testid": "log-lines",
      role: "log",
      "aria-live": "off",
      tabindex: 0,
    });
    this.el = h(
      "div",
      { class: "sfj-log", "data-testid": "log-tail", "data-stream": opts.stream ?? "" },
      this.toolbar,
      this.notice,
      h("div", { class: "sfj-log__frame" }, this.empty, this.body),
    );
    this.searchInput.addEventListener("input", () => this.setQuery(this.searchInput.value));
    this.searchInput.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") this.nextMatch(ev.shiftKey ? -1 : 1);
      if (ev.key === "Escape") {
        this.searchInput.value = "";
        this.setQuery("");
      }
    });
    this.followBtn.addEventListener("click", () => this.setFollowing(!this.following, true));
    this.copyBtn.addEventListener("click", () => void this.copy());
    this.body.addEventListener("scroll", () => this.onScroll());
    this.updateFollowButton();
  }

  /** Replace everything (a snapshot). */
  reset(snapshot: StreamSnapshot): void {
    this.lines = [];
    this.lineEls = [];
    this.partial = "";
    this.partialEl = null;
    this.body.replaceChildren();
    this.dropped = snapshot.dropped ?? 0;
    this.append(snapshot.lines ?? [], snapshot.partial ?? "");
  }

  /** New complete lines, then the unfinished line as it now stands. */
  append(lines: string[], partial: string): void {
    if (this.partialEl) {
      this.partialEl.remove();
      this.partialEl = null;
    }
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      const el = this.lineEl(line);
      this.lines.push(line);
      this.lineEls.push(el);
      fragment.append(el);
    }
    this.partial = partial;
    if (partial) {
      this.partialEl = this.lineEl(partial);
      this.partialEl.classList.add("sfj-line--partial");
      fragment.append(this.partialEl);
    }
    this.body.append(fragment);
    this.trim();
    this.refreshChrome();
    if (this.following) this.scroller.schedule();
  }

  setMaxLines(n: number): void {
    this.maxLines = Math.max(1, n);
    this.trim();
    this.refreshChrome();
  }

  setPlaceholder(text: string): void {
    setText(this.empty, text);
  }

  /** All text held, as the copy button copies it. */
  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.join("\n");
  }

  lineCount(): number {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  isFollowing(): boolean {
    return this.following;
  }

  destroy(): void {
    this.scroller.cancel();
  }

  private trim(): void {
    const extra = this.lines.length - this.maxLines;
    if (extra <= 0) return;
    for (const el of this.lineEls.splice(0, extra)) el.remove();
    this.lines.splice(0, extra);
    this.dropped += extra;
  }

  private lineEl(text: string): HTMLElement {
    const el = h("div", { class: "sfj-line" });
    this.paint(el, text);
    return el;
  }

  private paint(el: HTMLElement, text: string): void {
    if (!this.query) {
      el.textContent = text || "\u200b"; // keep empty lines one line tall
      el.classList.remove("sfj-line--hit");
      return;
    }
    const lower = text.toLowerCase();
    const needle = this.query.toLowerCase();
    let at = lower.indexOf(needle);
    if (at < 0) {
      el.textContent = text || "\u200b";
      el.classList.remove("sfj-line--hit");
      return;
    }
    const parts: (string | Node)[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(text.slice(from, at), h("mark", { class: "sfj-mark", text: text.slice(at, at + needle.length) }));
      from = at + needle.length;
      at = lower.indexOf(needle, from);
    }
    parts.push(text.slice(from));
    el.replaceChildren(...parts);
    el.classList.add("sfj-line--hit");
  }

  private setQuery(query: string): void {
    this.query = query;
    this.currentMatch = -1;
    for (const [i, el] of this.lineEls.entries()) this.paint(el, this.lines[i]);
    if (this.partialEl) this.paint(this.partialEl, this.partial);
    this.refreshChrome();
  }

  private nextMatch(step: number): void {
    const hits = Array.from(this.body.querySelectorAll<HTMLElement>(".sfj-line--hit"));
    if (!hits.length) return;
    this.currentMatch = (this.currentMatch + step + hits.length) % hits.length;
    for (const [i, el] of hits.entries()) el.classList.toggle("sfj-line--current", i === this.currentMatch);
    this.setFollowing(false, true);
    hits[this.currentMatch].scrollIntoView({ block: "center" });
  }

  private refreshChrome(): void {
    const count = this.lineCount();
    this.empty.hidden = count > 0;
    this.body.hidden = count === 0;
    this.notice.hidden = this.dropped === 0;
    setText(
      this.notice,
      `${this.dropped.toLocaleString()} earlier lines are no longer kept (limit ${this.maxLines.toLocaleString()} lines).`,
    );
    if (this.query) {
      const matches = this.body.querySelectorAll(".sfj-mark").length;
      setText(this.matchCount, matches === 1 ? "1 match" : `${matches} matches`);
    } else {
      setText(this.matchCount, "");
    }
  }

  private setFollowing(value: boolean, byUser: boolean): void {
    if (value === this.following) return;
    this.following = value;
    this.updateFollowButton();
    if (value) this.scroller.schedule();
    if (byUser) this.opts.onFollowChange?.(value);
  }

  private updateFollowButton(): void {
    setText(this.followBtn, this.following ? "Following" : "Paused");
    setAttr(this.followBtn, "aria-pressed", String(this.following));
    setAttr(
      this.followBtn,
      "title",
      this.following ? "Pause: stop scrolling to new lines" : "Follow: scroll to new lines as they come",
    );
    this.el.classList.toggle("sfj-log--paused", !this.following);
  }

  private scrollToEnd(): void {
    this.programmaticScroll = true;
    this.body.scrollTop = this.body.scrollHeight;
    requestAnimationFrame(() => {
      this.programmaticScroll = false;
    });
  }

  private onScroll(): void {
    if (this.programmaticScroll) return;
    const gap = this.body.scrollHeight - this.body.scrollTop - this.body.clientHeight;
    // Scrolling up to read pauses, as in a terminal; back at the bottom it follows again.
    if (this.following && gap > NEAR_BOTTOM_PX) this.setFollowing(false, true);
    else if (!this.following && gap <= 2 && this.currentMatch < 0) this.setFollowing(true, true);
  }

  private async copy(): Promise<void> {
    const ok = await copyText(this.text());
    setText(this.copyBtn, ok ? "Copied" : "Copy failed");
    this.copyBtn.classList.toggle("sfj-btn--ok", ok);
    window.setTimeout(() => {
      setText(this.copyBtn, "Copy");
      this.copyBtn.classList.remove("sfj-btn--ok");
    }, 1500);
  }
}
