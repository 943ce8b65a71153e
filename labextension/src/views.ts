// The panel's sections as DOM: machine status with outages, the queue, recently finished jobs.
// Pure functions of the data; panel.ts owns the data, the polling and the actions.
import type { Job, Jobs, Status } from './api';
import { ago, duration, el, outageWindow, stateLabel } from './format';
import { family, statusKey, statusLabel, statusRank } from './palette';

export interface JobActions {
  open(machine: string, job: Job): void;
  cancel(machine: string, job: Job): void;
}

/** A job row's elapsed time, counted on from the answer's time while the job runs. */
function elapsedNow(job: Job, fetchedAt: string | null, now: number): number | null {
  if (job.elapsed === null || job.terminal || family(job.state) !== 'running' || !fetchedAt) {
    return job.elapsed;
  }
  const since = (now - Date.parse(fetchedAt)) / 1000;
  return job.elapsed + (isFinite(since) && since > 0 ? since : 0);
}

export function stateBadge(state: string): HTMLElement {
  return el('span', { class: `sfp-badge sfp-state-${family(state)}`, 'data-state': state }, stateLabel(state));
}

function statusBadge(status: string): HTMLElement {
  const key = statusKey(status);
  return el('span', { class: `sfp-badge sfp-status-${key}`, 'data-status': status }, statusLabel(key));
}

/** Machines at a glance: the panel's machines and anything not up, then current outages. */
export function statusSection(status: Status | null, machines: string[], error: string | null): HTMLElement {
  const section = el('section', { class: 'sfp-section sfp-status-section' }, el('h3', {}, 'Machine status'));
  if (!status) {
    section.append(el('p', { class: 'sfp-note' }, error ?? 'Loading…'));
    return section;
  }
  const shown = status.resources
    .filter(r => machines.includes(r.name) || statusKey(r.status) !== 'active')
    .sort((a, b) => statusRank(a.status) - statusRank(b.status) || a.name.localeCompare(b.name));
  const list = el('ul', { class: 'sfp-resources' });
  for (const r of shown) {
    const row = el(
      'li',
      { class: 'sfp-resource', 'data-resource': r.name, 'data-status': r.status, title: r.description || r.full_name },
      statusBadge(r.status),
      el('span', { class: 'sfp-resource-name' }, r.full_name || r.name)
    );
    const note = r.notes?.length ? r.notes.join(' ') : statusKey(r.status) !== 'active' ? r.description : '';
    if (note) {
      row.append(el('div', { class: 'sfp-resource-note' }, note));
    }
    list.append(row);
  }
  section.append(list);
  const others = status.resources.length - shown.length;
  if (others > 0) {
    section.append(el('p', { class: 'sfp-note sfp-others' }, `${others} other system${others === 1 ? '' : 's'} up`));
  }
  if (status.outages.length) {
    const outages = el('ul', { class: 'sfp-outages' });
    for (const o of status.outages) {
      outages.append(
        el(
          'li',
          { class: 'sfp-outage', 'data-resource': o.name },
          el('strong', {}, `${o.name}: `),
          `${outageWindow(o.start_at, o.end_at)} `,
          el('span', { class: 'sfp-note' }, o.description || o.status)
        )
      );
    }
    section.append(el('h4', {}, 'Outages'), outages);
  }
  if (status.stale) {
    section.append(staleNote(status.fetched_at, status.error));
  }
  return section;
}

function staleNote(fetchedAt: string | null, error: string | null): HTMLElement {
  return el(
    'p',
    { class: 'sfp-stale', title: error ?? '' },
    `Not up to date: the SF API did not answer (${error ?? 'no reason given'}). Showing data from ${ago(fetchedAt)}.`
  );
}

function jobRow(machine: string, job: Job, fetchedAt: string | null, actions: JobActions, now: number): HTMLElement {
  const why = job.terminal
    ? job.exit_code
      ? `exit ${job.exit_code}`
      : job.reason && job.reason !== 'None'
        ? job.reason
        : ''
    : job.reason && job.reason !== 'None'
      ? job.reason
      : '';
  const row = el(
    'li',
    {
      class: 'sfp-job',
      'data-machine': machine,
      'data-jobid': job.jobid,
      'data-state': job.state,
      title: `Open the output of job ${job.jobid}${job.output ? ` (${job.output})` : ''}`,
      tabindex: '0'
    },
    stateBadge(job.state),
    el(
      'div',
      { class: 'sfp-job-main' },
      el('div', { class: 'sfp-job-name' }, job.name || '(no name)'),
      el(
        'div',
        { class: 'sfp-job-meta' },
        `${job.jobid} · ${machine} · ${duration(elapsedNow(job, fetchedAt, now))}`,
        why ? el('span', { class: 'sfp-job-reason' }, ` · ${why}`) : null
      )
    )
  );
  row.addEventListener('click', () => actions.open(machine, job));
  row.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      actions.open(machine, job);
    }
  });
  if (!job.terminal) {
    const cancel = el('button', { class: 'sfp-cancel jp-Button', title: `Cancel job ${job.jobid}`, 'aria-label': `Cancel job ${job.jobid}` }, 'Cancel');
    cancel.addEventListener('click', (e: MouseEvent) => {
      e.stopPropagation();
      actions.cancel(machine, job);
    });
    row.append(cancel);
  }
  return row;
}

/** The queue of every machine, then the recently finished jobs ("Recent"). */
export function jobSections(
  jobs: Jobs | null,
  error: string | null,
  ended: Map<string, { machine: string; job: Job }>,
  actions: JobActions
): HTMLElement[] {
  const now = Date.now();
  const queue = el('section', { class: 'sfp-section sfp-queue' });
  const recent = el('section', { class: 'sfp-section sfp-recent' });
  if (!jobs) {
    queue.append(el('h3', {}, 'My jobs'), el('p', { class: 'sfp-note' }, error ?? 'Loading…'));
    return [queue];
  }
  // 'keyless': no key needed, the server lists the jobs through this node's Slurm (its line says so)
  if (jobs.key !== 'ok' && jobs.key !== 'keyless') {
    queue.append(el('h3', {}, 'My jobs'), el('p', { class: 'sfp-key-message' }, jobs.message ?? `Key: ${jobs.key}`));
    return [queue];
  }
  const active = el('ul', { class: 'sfp-jobs' });
  const done = el('ul', { class: 'sfp-jobs' });
  const listed = new Set<string>();
  let count = 0;
  for (const m of jobs.machines) {
    for (const job of m.jobs) {
      (job.terminal ? done : active).append(jobRow(m.machine, job, m.fetched_at, actions, now));
      listed.add(`${m.machine}/${job.jobid}`);
      count += job.terminal ? 0 : 1;
    }
    if (m.error && !m.jobs.length) {
      queue.append(el('p', { class: 'sfp-stale' }, `${m.machine}: ${m.error}`));
    } else if (m.stale) {
      queue.append(staleNote(m.fetched_at, m.error));
    }
  }
  // Jobs seen ending in this tab come first, so a job never vanishes between the queue and
  // the next sacct read; then the server's recent list (newest first).
  for (const { machine, job } of ended.values()) {
    if (!listed.has(`${machine}/${job.jobid}`)) {
      done.append(jobRow(machine, job, null, actions, now));
      listed.add(`${machine}/${job.jobid}`);
    }
  }
  for (const m of jobs.machines) {
    for (const job of m.recent) {
      if (!listed.has(`${m.machine}/${job.jobid}`)) {
        done.append(jobRow(m.machine, job, m.recent_meta?.fetched_at ?? null, actions, now));
        listed.add(`${m.machine}/${job.jobid}`);
      }
    }
  }
  const keyless = jobs.key === 'keyless' && jobs.message ? el('p', { class: 'sfp-note sfp-keyless' }, jobs.message) : null;
  queue.prepend(el('h3', {}, `My jobs (${count})`), ...(keyless ? [keyless] : []));
  queue.append(count ? active : el('p', { class: 'sfp-note' }, 'No job of yours is queued or running.'));
  recent.append(el('h3', {}, 'Recent'), done.childElementCount ? done : el('p', { class: 'sfp-note' }, 'No finished job yet.'));
  return [queue, recent];
}
