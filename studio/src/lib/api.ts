/** The Forge server's JSON API as the studio uses it. The key stays in this tab's session. */

export interface Location {
  file: string;
  line: number;
  column: number;
  end_line?: number | null;
  end_column?: number | null;
}

export interface Diagnostic {
  severity: 'error' | 'warning' | 'note';
  message: string;
  location: Location | null;
  notes: string[];
}

export interface KernelArg {
  name: string;
  type: 'int' | 'float' | 'bool' | 'str';
  default: number | boolean | string | null;
  required: boolean;
  minimum: number | null;
  maximum: number | null;
  choices: string[];
  doc: string;
}

export interface Kernel {
  name: string;
  summary: string;
  origin: string;
  args: KernelArg[];
  element_types: string[] | null;
  elementwise: boolean;
}

export interface Catalog {
  kernels: Kernel[];
  capabilities: string[];
  outputs: string[];
  element_types: string[];
}

export interface MemoryTensor {
  id: number;
  offset: number;
  bytes: number;
  first: number;
  last: number;
}

export interface MemoryPlan {
  strategy: string;
  arena_bytes: number;
  naive_bytes: number;
  lower_bound_bytes: number;
  tensors: MemoryTensor[];
}

export interface CompileResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  opt_level: string | null;
  passes: { pass: string; ir: string }[];
  fusion_groups: string[][];
  memory: MemoryPlan | null;
  manifest: Record<string, unknown> | null;
  rune_base64: string | null;
}

export interface TensorInfo {
  name: string;
  element_type: string;
  shape: number[];
}

export interface Version {
  number: number;
  sha256: string;
  size: number;
  build: number | null;
  created_at: string;
}

export interface Channel {
  name: string;
  version: number;
  sha256: string;
  updated_at: string;
}

export interface HistoryEntry {
  id: number;
  action: 'deploy' | 'promote' | 'rollback';
  version: number;
  sha256: string;
  key: string | null;
  created_at: string;
}

export interface KeyInfo {
  id: string;
  name: string;
  scopes: string[];
  project: string | null;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

export interface LatencyBucket {
  start: number;
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LatencyOut {
  stage: string;
  window_s: number;
  bucket_s: number;
  overall: LatencyBucket;
  buckets: LatencyBucket[];
}

export interface SummaryOut {
  window_s: number;
  events: number;
  inferences: number;
  errors: number;
  error_rate: number;
  active_devices: number;
  stages: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  project: string;
  key: string;
}

export type Files = Record<string, Uint8Array>;

export class Api {
  constructor(readonly session: Session) {}

  private async request<T>(method: string, path: string, body?: BodyInit, json?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.session.key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: json !== undefined ? JSON.stringify(json) : body });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = (await response.json()) as { detail?: string; title?: string };
        detail = problem.detail ?? problem.title ?? detail;
      } catch {
        /* not a problem document */
      }
      throw new ApiError(response.status, detail);
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private get p(): string {
    return `/v1/projects/${encodeURIComponent(this.session.project)}`;
  }

  private form(files: Files, fields: Record<string, string>): FormData {
    const form = new FormData();
    for (const [name, data] of Object.entries(files)) form.append('files', new Blob([data as BlobPart]), name);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return form;
  }

  project() {
    return this.request<{ name: string; public_key: string }>('GET', this.p);
  }
  catalog() {
    return this.request<Catalog>('GET', '/v1/catalog');
  }
  templates() {
    return this.request<{ name: string; files: string[] }[]>('GET', '/v1/templates');
  }
  async template(name: string): Promise<Files> {
    const t = await this.request<{ files: Record<string, string> }>('GET', `/v1/templates/${name}`);
    return Object.fromEntries(Object.entries(t.files).map(([n, b64]) => [n, fromBase64(b64)]));
  }
  check(files: Files) {
    return this.request<{ ok: boolean; diagnostics: Diagnostic[] }>('POST', `${this.p}/studio/check`, this.form(files, {}));
  }
  compile(files: Files, optLevel: string) {
    return this.request<CompileResult>('POST', `${this.p}/studio/compile`, this.form(files, { opt_level: optLevel }));
  }
  modelInfo(name: string, data: Uint8Array) {
    return this.request<{ ok: boolean; diagnostics: Diagnostic[]; model: { inputs: TensorInfo[]; outputs: TensorInfo[] } | null }>(
      'POST',
      `${this.p}/studio/model`,
      this.form({ [name]: data }, {}),
    );
  }
  build(files: Files) {
    return this.request<{ id: number; status: string }>('POST', `${this.p}/builds`, this.form(files, {}));
  }
  getBuild(id: number) {
    return this.request<{ id: number; status: string; version: number | null; diagnostics: Diagnostic[] }>('GET', `${this.p}/builds/${id}`);
  }
  versions() {
    return this.request<Version[]>('GET', `${this.p}/versions`);
  }
  channels() {
    return this.request<Channel[]>('GET', `${this.p}/channels`);
  }
  setChannel(channel: string, version: number) {
    return this.request<Channel>('PUT', `${this.p}/channels/${channel}`, undefined, { version });
  }
  promote(channel: string, source: string) {
    return this.request<Channel>('POST', `${this.p}/channels/${channel}/promote`, undefined, { source });
  }
  rollback(channel: string) {
    return this.request<Channel>('POST', `${this.p}/channels/${channel}/rollback`, undefined, { steps: 1 });
  }
  history(channel: string) {
    return this.request<HistoryEntry[]>('GET', `${this.p}/channels/${channel}/history`);
  }
  keys() {
    return this.request<KeyInfo[]>('GET', `${this.p}/keys`);
  }
  createKey(scopes: string[]) {
    return this.request<KeyInfo>('POST', `${this.p}/keys`, undefined, { scopes });
  }
  revokeKey(id: string) {
    return this.request<undefined>('DELETE', `${this.p}/keys/${id}`);
  }
  latency(window: number, bucket: number, stage: string) {
    const q = new URLSearchParams({ window: String(window), bucket: String(bucket), stage });
    return this.request<LatencyOut>('GET', `${this.p}/telemetry/latency?${q}`);
  }
  summary(window: number) {
    return this.request<SummaryOut>('GET', `${this.p}/telemetry/summary?window=${window}`);
  }
}

export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
