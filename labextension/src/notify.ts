// A browser notification when one of my jobs ends (opt-in: the `notify` setting). It comes
// from the panel's own polling, so it needs no kernel; the browser must allow notifications.
import type { Job } from './api';
import { stateLabel } from './format';

export function notifyEnded(machine: string, job: Job): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') {
    return;
  }
  const exit = job.exit_code ? ` (exit ${job.exit_code})` : '';
  // One notification per job: a second tab showing the same end replaces it (tag).
  new Notification(`NERSC job ${job.jobid}: ${stateLabel(job.state)}${exit}`, {
    body: `${job.name || '(no name)'} on ${machine}`,
    tag: `sfapi-jupyter-${machine}-${job.jobid}`
  });
}
