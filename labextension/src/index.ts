// The "NERSC" side panel for JupyterLab 4 and Notebook 7. Nothing is required: Notebook 7 has
// no layout restorer (its View → Left Sidebar menu shows the panel), and the settings are
// optional too (then the defaults of schema/plugin.json apply).
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import type { SplitPanel, Widget } from '@lumino/widgets';

import { Api, Job } from './api';
import { OutputView } from './output';
import { NerscPanel } from './panel';

const PLUGIN_ID = 'sfapi-jupyter-panel:plugin';

/**
 * Notebook 7 shows its down area (a tab panel under the notebook, in a vertical split) at the
 * height of its tab bar: the output would be a tab with no room. Give it 40 % of the page when
 * it has less than 15 %, so a size the user dragged is kept. In JupyterLab the widget is in the
 * main area and nothing changes.
 */
function giveTheDownAreaRoom(widget: Widget): void {
  // the widget, its stack, the down tab panel; read by shape (a second copy of Lumino would
  // fail an instanceof), and left alone if it is not a two-part vertical split
  const split = widget.parent?.parent?.parent as Partial<SplitPanel> | null | undefined;
  if (
    typeof split?.relativeSizes === 'function' &&
    typeof split.setRelativeSizes === 'function' &&
    split.orientation === 'vertical' &&
    split.widgets?.length === 2
  ) {
    const sizes = split.relativeSizes();
    if (sizes[1] < 0.15) {
      split.setRelativeSizes([0.6, 0.4]);
    }
  }
}

// Three stacked nodes of a machine; jp-icon3 takes the theme's icon colour.
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><g class="jp-icon3" fill="currentColor">' +
  '<path d="M4 3h16a1 1 0 0 1 1 1v4a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm2 2.5a1 1 0 1 0 0 1h.01a1 1 0 0 0 0-1zM4 10h16a1 1 0 0 1 1 1v3a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-3a1 1 0 0 1 1-1zm2 2a1 1 0 1 0 0 1h.01a1 1 0 0 0 0-1zM4 16h16a1 1 0 0 1 1 1v3a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-3a1 1 0 0 1 1-1zm2 2a1 1 0 1 0 0 1h.01a1 1 0 0 0 0-1z"/>' +
  '</g></svg>';

export const nerscIcon = new LabIcon({ name: 'sfapi-jupyter:nersc', svgstr: ICON_SVG });

const COMMAND_OPEN_OUTPUT = 'sfapi-jupyter:open-output';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'NERSC machine status, your jobs and their output, without a kernel.',
  autoStart: true,
  requires: [],
  optional: [ILayoutRestorer, ILabShell, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    _labShell: ILabShell | null,
    registry: ISettingRegistry | null
  ) => {
    // The server's settings carry its base URL: /user/NAME/ under JupyterHub.
    const api = new Api(app.serviceManager.serverSettings);
    const outputs = new Map<string, MainAreaWidget<OutputView>>();

    const openOutput = (machine: string, job: Job): void => {
      const key = `${machine}/${job.jobid}`;
      let widget = outputs.get(key);
      if (!widget || widget.isDisposed) {
        const view = new OutputView(api, machine, job.jobid, () => panel.job(machine, job.jobid) ?? job, panel.info?.output_interval ?? 2);
        widget = new MainAreaWidget({ content: view });
        widget.id = `sfapi-jupyter-output-${machine}-${job.jobid}`;
        widget.title.label = `${job.name || 'job'} · ${job.jobid}`;
        widget.title.caption = `Output of job ${job.jobid} on ${machine}`;
        widget.title.icon = nerscIcon;
        widget.title.closable = true;
        outputs.set(key, widget);
        widget.disposed.connect(() => outputs.delete(key));
        app.shell.add(widget, 'main');
        if (!widget.isAttached) {
          // Notebook 7's pages hold one main widget (the notebook, the file tree): there the
          // output goes to the area below it, which activateById shows.
          app.shell.add(widget, 'down');
        }
      }
      app.shell.activateById(widget.id);
      giveTheDownAreaRoom(widget);
    };

    const panel = new NerscPanel({ api, openOutput });
    panel.title.icon = nerscIcon;
    panel.title.caption = 'NERSC';
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'sfapi-jupyter-panel');

    app.commands.addCommand(COMMAND_OPEN_OUTPUT, {
      label: 'Open the output of a NERSC job',
      execute: args => openOutput(String(args.machine), { jobid: String(args.jobid), name: String(args.name ?? '') } as Job)
    });

    if (registry) {
      registry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => {
            panel.setInterval(Number(settings.get('interval').composite));
            panel.setNotify(Boolean(settings.get('notify').composite));
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.warn('sfapi-jupyter: settings not loaded, using the defaults', reason))
        .then(() => panel.start());
    } else {
      panel.start();
    }
  }
};

export default plugin;
