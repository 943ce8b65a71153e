// The "NERSC" side panel: machine status, my jobs, recent jobs; one Poll for all of it.
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { Api, Info, Job, Jobs, Status } from './api';
import { ago, el } from './format';
import { notifyEnded } from './notify';
import { applyPalette } from './palette';
import { inOrder } from './serial';
import { jobSections, statusSection } from './views';

/** The schema's minimum; the real floor is the server's `info.interval` (SfApiServer.min_interval, 10 s by default), which protects the API. */
export const MIN_INTERVAL = 2;

export interface PanelOptions {
  api: Api;
  openOutput(machine: string, job: Job): void;
}

const keyOf = (machine: string, jobid: string): string => `${machine}/${jobid}`;

export class NerscPanel extends Widget {
  readonly api: Api;
  info: Info | null = null;
  private status: Status | null = null;
  private jobs: Jobs | null = null;
  private statusError: string | null = null;
  private jobsError: string | null = null;
  private interval = 30;
  private notify = false;
  private seen = false;
  /** Jobs last seen queued or running, to tell when one ends. */
  private active = new Map<string, { machine: string; job: Job }>();
  /** Per machine, the finished jobs known so far (undefined: no good sacct answer yet). */
  private recentKnown = new Map<string, Set<string>>();
  /** Jobs this tab saw end, newest first: they stay in "Recent" even before sacct has them. */
  readonly ended = new Map<string, { machine: string; job: Job }>();
  private readonly body: HTMLElement;
  private readonly stamp: HTMLElement;
  private readonly poll: Poll;
  private readonly openOutput: PanelOptions['openOutput'];

  constructor(options: PanelOptions) {
    super();
    this.api = options.api;
    this.openOutput = options.openOutput;
    this.id = 'sfapi-jupyter-panel';
    this.addClass('sfp-panel');
    applyPalette(this.node);
    this.stamp = el('span', { class: 'sfp-stamp' });
    const refresh = el('button', { class: 'sfp-refresh jp-Button', title: 'Ask again now' }, 'Refresh');
    refresh.addEventListener('click', () => void this.poll.refresh());
    this.node.append(
      el('header', { class: 'sfp-header' }, el('h2', {}, 'NERSC'), this.stamp, refresh),
      (this.body = el('div', { class: 'sfp-body' }))
    );
    this.poll = new Poll({
      auto: false,
      factory: inOrder(() => this.tick()),
      frequency: { interval: this.interval * 1000, backoff: true, max: 300 * 1000 },
      name: 'sfapi-jupyter:panel',
      // Stands by while the panel is closed or the browser tab is hidden, unless the user
      // asked to be notified: then it keeps going, so an ending job is noticed anywhere.
      standby: () => (this.notify ? false : !this.isVisible || 'when-hidden')
    });
    this.render();
  }

  start(): void {
    void this.poll.start();
  }

  /** Seconds between refreshes, never under the floor (the schema's and the server's). */
  setInterval(seconds: number): void {
    this.interval = Math.max(MIN_INTERVAL, this.info?.interval ?? 0, seconds || 0);
    this.poll.frequency = { ...this.poll.frequency, interval: this.interval * 1000 };
  }

  get refreshInterval(): number {
    return this.interval;
  }

  setNotify(on: boolean): void {
    this.notify = on;
    if (on && typeof Notification !== 'undefined' && Notification.permission === 'default') {
      void Notification.requestPermission().then(() => this.render());
    }
    this.render();
  }

  /** The job as the last answer had it (output views follow its state). */
  job(machine: string, jobid: string): Job | undefined {
    for (const m of this.jobs?.machines ?? []) {
      if (m.machine === machine) {
        const found = [...m.jobs, ...m.recent].find(j => j.jobid === jobid);
        if (found) {
          return found;
        }
      }
    }
    return this.ended.get(keyOf(machine, jobid))?.job;
  }

  refresh(): Promise<void> {
    return this.poll.refresh();
  }

  protected onAfterShow(): void {
    void this.poll.refresh();
  }

  dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  private async tick(): Promise<void> {
    if (!this.info) {
      try {
        this.info = await this.api.info();
        this.setInterval(this.interval);
      } catch (err) {
        this.statusError = this.jobsError = `The panel's server routes did not answer: ${String(err)}`;
        this.render();
        throw err; // the Poll backs off
      }
    }
    const [status, jobs] = await Promise.allSettled([this.api.status(), this.api.jobs()]);
    let trouble = false;
    if (status.status === 'fulfilled') {
      this.status = status.value;
      this.statusError = null;
      trouble ||= status.value.stale;
    } else {
      this.statusError = String(status.reason?.message ?? status.reason);
      trouble = true;
    }
    if (jobs.status === 'fulfilled') {
      this.jobs = jobs.value;
      this.jobsError = null;
      this.track(jobs.value);
      trouble ||= jobs.value.machines.some(m => m.stale);
    } else {
      this.jobsError = String(jobs.reason?.message ?? jobs.reason);
      trouble = true;
    }
    this.render();
    if (trouble) {
      // Rendered as it is, then the Poll backs off until the API answers again.
      throw new Error(this.statusError ?? this.jobsError ?? 'the SF API answer is stale');
    }
  }

  /** Find the jobs that ended since the last answer; notify (opt-in) about each. */
  private track(jobs: Jobs): void {
    const now = new Map<string, { machine: string; job: Job }>();
    const finished = new Map<string, Job>();
    for (const m of jobs.machines) {
      for (const job of m.jobs) {
        if (job.terminal) {
          finished.set(keyOf(m.machine, job.jobid), job);
        } else {
          now.set(keyOf(m.machine, job.jobid), { machine: m.machine, job });
        }
      }
      for (const job of m.recent) {
        finished.set(keyOf(m.machine, job.jobid), job);
      }
    }
    for (const [key, before] of this.active) {
      if (now.has(key)) {
        continue;
      }
      const job = finished.get(key);
      if (job) {
        this.ended.delete(key);
        this.ended.set(key, { machine: before.machine, job });
        this.announce(before.machine, job);
      } else {
        now.set(key, before); // left the queue, not in sacct yet: look again next time
      }
    }
    // A job that came and went between two refreshes shows up only in "Recent": new there
    // (after a first good sacct answer, which is the baseline) means it has just ended.
    for (const m of jobs.machines) {
      if (!m.recent_meta?.fetched_at || m.recent_meta.error) {
        continue;
      }
      const known = this.recentKnown.get(m.machine);
      for (const job of m.recent) {
        const key = keyOf(m.machine, job.jobid);
        if (known && !known.has(key) && !this.ended.has(key)) {
          this.ended.set(key, { machine: m.machine, job });
          this.announce(m.machine, job);
        }
      }
      this.recentKnown.set(m.machine, new Set([...(known ?? []), ...m.recent.map(j => keyOf(m.machine, j.jobid))]));
    }
    this.active = now;
    this.seen = true;
  }

  private announce(machine: string, job: Job): void {
    if (this.seen && this.notify) {
      notifyEnded(machine, job);
    }
  }

  private async cancel(machine: string, job: Job): Promise<void> {
    const result = await showDialog({
      title: `Cancel job ${job.jobid}?`,
      body: `"${job.name}" on ${machine} (${job.state}) will be stopped (scancel). Its output so far stays.`,
      buttons: [Dialog.cancelButton({ label: 'Keep it' }), Dialog.warnButton({ label: 'Cancel job' })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this.api.cancel(machine, job.jobid);
    } catch (err) {
      await showErrorMessage(`Job ${job.jobid} was not cancelled`, String((err as Error).message ?? err));
    }
    await this.poll.refresh();
  }

  private render(): void {
    const fetched = this.status?.fetched_at ?? null;
    this.stamp.textContent = fetched ? `updated ${ago(fetched)}` : '';
    this.stamp.title = `Refreshed every ${this.interval} s while the panel is open`;
    const actions = {
      open: (machine: string, job: Job) => this.openOutput(machine, job),
      cancel: (machine: string, job: Job) => void this.cancel(machine, job)
    };
    const sections: HTMLElement[] = [
      statusSection(this.status, this.info?.machines ?? [], this.statusError),
      ...jobSections(this.jobs, this.jobsError, new Map([...this.ended].reverse()), actions)
    ];
    if (this.notify && typeof Notification !== 'undefined' && Notification.permission !== 'granted') {
      sections.push(
        el('p', { class: 'sfp-note' }, 'Notifications are on in the settings, but this browser does not allow them for this site.')
      );
    }
    this.body.replaceChildren(...sections);
  }
}
