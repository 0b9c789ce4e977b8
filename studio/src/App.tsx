/** The studio: sign in with a project key, then Build (palette, canvas, Runefile, inspector),
 * Inspect (compiler output), Test run, Deploy and Watch. */
import { ReactFlowProvider } from '@xyflow/react';
import { type ChangeEvent, type FormEvent, useEffect, useMemo, useState } from 'react';
import { Api, type Session } from './lib/api';
import { RUNEFILE, store, useStudio } from './lib/store';
import { Canvas } from './components/Canvas';
import { DeployView } from './components/DeployView';
import { Inspector } from './components/Inspector';
import { InspectView } from './components/InspectView';
import { Palette } from './components/Palette';
import { TestRunView } from './components/TestRunView';
import { WatchView } from './components/WatchView';
import { YamlPane } from './components/YamlPane';

const SESSION_KEY = 'rune-studio-session';
type View = 'build' | 'inspect' | 'run' | 'deploy' | 'watch';
const VIEWS: [View, string][] = [['build', 'Build'], ['inspect', 'Inspect'], ['run', 'Test run'], ['deploy', 'Deploy'], ['watch', 'Watch']];

function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [project, setProject] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await new Api({ project, key }).project();
      onSession({ project, key });
    } catch (e) {
      setError(String(e));
    }
  }
  return (
    <form className="signin" onSubmit={(e) => void submit(e)} aria-label="sign in">
      <h1>Rune Forge studio</h1>
      <label htmlFor="signin-project">Project</label>
      <input id="signin-project" value={project} onChange={(e) => setProject(e.target.value)} autoFocus required />
      <label htmlFor="signin-key">API key</label>
      <input id="signin-key" type="password" value={key} onChange={(e) => setKey(e.target.value)} required />
      <button type="submit">Open</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}

function useLiveCheck(api: Api) {
  const revision = useStudio((s) => s.revision);
  useEffect(() => {
    const text = store.get().text;
    if (store.get().yamlErrors.length) return;
    store.setChecking(true);
    const timer = window.setTimeout(() => {
      const at = store.get().revision;
      api.check(store.sources()).then((r) => {
        if (store.get().revision === at) store.setDiagnostics(r.diagnostics, text);
      }).catch((e: unknown) => store.setDiagnostics([{ severity: 'error', message: String(e), location: null, notes: [] }], text));
    }, 400);
    return () => window.clearTimeout(timer);
  }, [revision, api]);
}

function download(name: string, data: BlobPart, type: string) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Toolbar({ api, view }: { api: Api; view: View }) {
  const [templates, setTemplates] = useState<string[]>([]);
  const [level, setLevel] = useState('2');
  const [busy, setBusy] = useState('');
  const checking = useStudio((s) => s.checking);
  const diagnostics = useStudio((s) => s.diagnostics);
  const compile = useStudio((s) => s.compile);
  useEffect(() => {
    void api.templates().then((t) => setTemplates(t.map((x) => x.name)));
  }, [api]);

  async function loadTemplate(name: string) {
    if (!name) return;
    const files = await api.template(name);
    store.load(new TextDecoder().decode(files[RUNEFILE]), files);
  }
  async function importFiles(event: ChangeEvent<HTMLInputElement>) {
    const files: Record<string, Uint8Array> = {};
    for (const file of Array.from(event.target.files ?? [])) files[file.name] = new Uint8Array(await file.arrayBuffer());
    const runefile = Object.keys(files).find((n) => /^Runefile(\.ya?ml)?$/.test(n));
    if (runefile) store.load(new TextDecoder().decode(files[runefile]), files);
    else for (const [name, data] of Object.entries(files)) store.addFile(name, data);
    event.target.value = '';
  }
  async function compileNow() {
    setBusy('compiling…');
    try {
      store.setCompile(await api.compile(store.sources(), level));
      setBusy('');
    } catch (e) {
      setBusy(String(e));
    }
  }
  const errors = diagnostics.filter((d) => d.diagnostic.severity === 'error').length;
  return (
    <div className="toolbar" role="toolbar" aria-label="project">
      <label htmlFor="template">Template</label>
      <select id="template" defaultValue="" onChange={(e) => void loadTemplate(e.target.value)}>
        <option value="">(choose)</option>
        {templates.map((t) => <option key={t} value={t}>{t}</option>)}
      </select>
      <label className="button">Import<input type="file" multiple onChange={(e) => void importFiles(e)} aria-label="import a Runefile and its files" hidden /></label>
      <button type="button" onClick={() => download(RUNEFILE, store.get().text, 'text/yaml')}>Export Runefile</button>
      <span className="check-status" role="status" data-testid="check-status">
        {checking ? 'checking…' : errors ? `${errors} error${errors > 1 ? 's' : ''}` : 'no errors'}
      </span>
      <label htmlFor="opt-level">Optimisation</label>
      <select id="opt-level" value={level} onChange={(e) => setLevel(e.target.value)}>
        {['0', '1', '2', '3', 's'].map((l) => <option key={l} value={l}>-O{l}</option>)}
      </select>
      <button type="button" onClick={() => void compileNow()}>Compile</button>
      {compile?.ok && compile.rune_base64 && (
        <button type="button" onClick={() => download(`${api.session.project}.rune`, Uint8Array.from(atob(compile.rune_base64!), (c) => c.charCodeAt(0)), 'application/octet-stream')}>
          Download .rune
        </button>
      )}
      <span role="status" data-testid="compile-status">{busy || (compile ? (compile.ok ? `compiled (-O${compile.opt_level})` : 'compile failed') : '')}</span>
      <span className="view-name" hidden>{view}</span>
    </div>
  );
}

function Studio({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const api = useMemo(() => new Api(session), [session]);
  const [view, setView] = useState<View>('build');
  useLiveCheck(api);
  useEffect(() => {
    void api.catalog().then((c) => store.setCatalog(c));
  }, [api]);
  return (
    <div className="studio">
      <header>
        <h1>Rune studio</h1>
        <nav role="tablist" aria-label="views">
          {VIEWS.map(([id, label]) => (
            <button key={id} role="tab" type="button" aria-selected={view === id} onClick={() => setView(id)}>{label}</button>
          ))}
        </nav>
        <span className="project">project <strong>{session.project}</strong></span>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      <Toolbar api={api} view={view} />
      <main className={`view view-${view}`}>
        <div className="build" hidden={view !== 'build' && view !== 'inspect'}>
          {view === 'build' && <Palette api={api} />}
          <ReactFlowProvider><Canvas /></ReactFlowProvider>
          {view === 'build' && (
            <div className="side">
              <YamlPane />
              <Inspector />
            </div>
          )}
          {view === 'inspect' && <div className="side wide"><InspectView /></div>}
        </div>
        {view === 'run' && <TestRunView />}
        {view === 'deploy' && <DeployView api={api} />}
        {view === 'watch' && <WatchView api={api} />}
      </main>
    </div>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => {
    const saved = sessionStorage.getItem(SESSION_KEY);
    return saved ? (JSON.parse(saved) as Session) : null;
  });
  if (!session) {
    return <SignIn onSession={(s) => { sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)); setSession(s); }} />;
  }
  return <Studio session={session} onSignOut={() => { sessionStorage.removeItem(SESSION_KEY); setSession(null); }} />;
}
