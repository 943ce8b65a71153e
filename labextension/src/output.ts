// A job's live output in the main area: reads only the bytes after the last offset
// (GET output/MACHINE/JOBID?offset=N&inode=I), until the job has ended and nothing is left.
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { Api, Job } from './api';
import { el } from './format';
import { applyPalette } from './palette';
import { inOrder } from './serial';
import { stateBadge } from './views';

/** Reads in a row while the server says more is waiting (256 KiB each). */
const MAX_READS = 16;

export class OutputView extends Widget {
  private offset = 0;
  private inode: number | null = null;
  private done = false;
  private readonly pre: HTMLPreElement;
  private readonly head: HTMLElement;
  private readonly note: HTMLElement;
  private readonly poll: Poll;

  constructor(
    private readonly api: Api,
    readonly machine: string,
    readonly jobid: string,
    private readonly jobOf: () => Job | undefined,
    intervalSeconds: number
  ) {
    super();
    this.addClass('sfp-output');
    applyPalette(this.node);
    this.node.dataset.machine = machine;
    this.node.dataset.jobid = jobid;
    this.head = el('div', { class: 'sfp-output-head' });
    this.note = el('div', { class: 'sfp-note sfp-output-note' }, 'Reading the output…');
    this.pre = el('pre', { class: 'sfp-output-text' });
    this.node.append(this.head, this.note, this.pre);
    this.header('');
    this.poll = new Poll({
      factory: inOrder(() => this.read()),
      frequency: { interval: intervalSeconds * 1000, backoff: true, max: 60 * 1000 },
      name: `sfapi-jupyter:output:${machine}:${jobid}`,
      standby: () => !this.isVisible || 'when-hidden'
    });
  }

  /** Bytes of output shown so far (the offset of the next read). */
  get bytes(): number {
    return this.offset;
  }

  dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  protected onAfterShow(): void {
    if (!this.done) {
      void this.poll.refresh();
    }
  }

  private header(path: string): void {
    const job = this.jobOf();
    const state = job?.state ?? 'UNKNOWN';
    this.head.replaceChildren(
      stateBadge(state),
      el('strong', {}, ` ${job?.name ?? ''} `),
      el('span', { class: 'sfp-note' }, `job ${this.jobid} on ${this.machine}${path ? ` · ${path}` : ''}`)
    );
  }

  private async read(): Promise<void> {
    if (this.done) {
      return;
    }
    const ended = this.jobOf()?.terminal ?? false; // asked before the read: no byte is lost
    let grew = false;
    for (let i = 0; i < MAX_READS; i++) {
      const out = await this.api.output(this.machine, this.jobid, this.offset, this.inode);
      if (out.reset) {
        this.pre.textContent = ''; // truncated or replaced: the text starts again at byte 0
      }
      if (out.text) {
        const follow = this.node.scrollTop + this.node.clientHeight >= this.node.scrollHeight - 8;
        this.pre.append(out.text);
        grew = true;
        if (follow) {
          this.node.scrollTop = this.node.scrollHeight;
        }
      }
      this.offset = out.offset;
      this.inode = out.inode;
      this.node.dataset.offset = String(out.offset);
      this.header(out.path);
      this.note.textContent = out.missing
        ? 'No output file yet: the job has not started writing.'
        : out.stale
          ? `Not up to date: ${out.error ?? 'the SF API did not answer'}`
          : '';
      if (!out.more) {
        break;
      }
    }
    if (ended && !grew) {
      this.done = true;
      this.note.textContent = 'The job has ended: this is all of its output.';
      this.node.dataset.done = 'true';
      setTimeout(() => void this.poll.stop());
    }
  }
}
