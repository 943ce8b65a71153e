// The server extension's routes (docs/panel.md, "Server routes"), always under the server's
// base URL: `/user/NAME/sfapi-jupyter/...` under JupyterHub, `/sfapi-jupyter/...` otherwise.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface Meta {
  fetched_at: string | null;
  stale: boolean;
  error: string | null;
  retry_in: number | null;
}

export interface Info {
  machines: string[];
  interval: number;
  output_interval: number;
  api_url: string;
  key: string;
  message: string | null;
}

export interface Resource {
  name: string;
  full_name: string;
  status: string;
  description: string;
  notes: string[];
  updated_at: string | null;
}

export interface Outage {
  name: string;
  start_at: string | null;
  end_at: string | null;
  description: string;
  status: string;
}

export interface Status extends Meta {
  resources: Resource[];
  outages: Outage[];
  interval: number;
}

export interface Job {
  jobid: string;
  name: string;
  state: string;
  terminal: boolean;
  reason: string | null;
  exit_code: number | null;
  elapsed: number | null;
  time_limit: number | null;
  submit_time: string | null;
  start_time: string | null;
  end_time: string | null;
  work_dir: string | null;
  output: string | null;
}

export interface MachineJobs extends Meta {
  machine: string;
  jobs: Job[];
  recent: Job[];
  recent_meta: Meta;
}

export interface Jobs {
  key: string;
  message: string | null;
  interval: number;
  machines: MachineJobs[];
}

export interface Output extends Meta {
  machine: string;
  jobid: string;
  path: string;
  text: string;
  offset: number;
  inode: number | null;
  size: number;
  reset: string | null;
  missing: boolean;
  more: boolean;
}

/** An answer that was not 2xx, with the server's own message (`error` or `message`). */
export class RouteError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

export class Api {
  constructor(readonly settings: ServerConnection.ISettings) {}

  url(...parts: string[]): string {
    return URLExt.join(this.settings.baseUrl, 'sfapi-jupyter', ...parts.map(encodeURIComponent));
  }

  async get<T>(parts: string[], query: Record<string, string | number> = {}): Promise<T> {
    const search = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const url = this.url(...parts) + (search ? `?${search}` : '');
    return this.send<T>(url, { method: 'GET' });
  }

  async post<T>(parts: string[]): Promise<T> {
    return this.send<T>(this.url(...parts), { method: 'POST' });
  }

  info(): Promise<Info> {
    return this.get<Info>(['info']);
  }

  status(): Promise<Status> {
    return this.get<Status>(['status']);
  }

  jobs(): Promise<Jobs> {
    return this.get<Jobs>(['jobs']);
  }

  output(machine: string, jobid: string, offset: number, inode: number | null): Promise<Output> {
    const query: Record<string, string | number> = { offset };
    if (inode !== null) {
      query.inode = inode;
    }
    return this.get<Output>(['output', machine, jobid], query);
  }

  cancel(machine: string, jobid: string): Promise<unknown> {
    return this.post(['cancel', machine, jobid]);
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (err) {
      throw new RouteError(`The Jupyter server did not answer: ${String(err)}`, 0);
    }
    const text = await response.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      const said = (body && (body.error || body.message)) || text || response.statusText;
      throw new RouteError(String(said), response.status);
    }
    return body as T;
  }
}
