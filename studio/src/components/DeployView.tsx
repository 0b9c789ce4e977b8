/** Deploy: build the pipeline into a signed version, put versions on channels, promote and
 * roll back with history, manage API keys (a new key is shown once) and copy an SDK snippet. */
import { useCallback, useEffect, useState } from 'react';
import type { Api, Channel, HistoryEntry, KeyInfo, Version } from '../lib/api';
import { store } from '../lib/store';

const SCOPES = ['fetch', 'telemetry', 'deploy', 'admin'];

export function DeployView({ api }: { api: Api }) {
  const [versions, setVersions] = useState<Version[]>([]);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [history, setHistory] = useState<Record<string, HistoryEntry[]>>({});
  const [keys, setKeys] = useState<KeyInfo[]>([]);
  const [minted, setMinted] = useState<KeyInfo | null>(null);
  const [scopes, setScopes] = useState<string[]>(['fetch', 'telemetry']);
  const [status, setStatus] = useState('');
  const [target, setTarget] = useState('staging');
  const [chosen, setChosen] = useState<number | null>(null);
  const [publicKey, setPublicKey] = useState('');
  const [snippetChannel, setSnippetChannel] = useState('production');

  const refresh = useCallback(async () => {
    const [v, c, k, p] = await Promise.all([api.versions(), api.channels(), api.keys(), api.project()]);
    setVersions(v);
    setChannels(c);
    setKeys(k);
    setPublicKey(p.public_key);
    const entries = await Promise.all(c.map(async (ch) => [ch.name, await api.history(ch.name)] as const));
    setHistory(Object.fromEntries(entries));
  }, [api]);

  useEffect(() => {
    void refresh().catch((e: unknown) => setStatus(String(e)));
  }, [refresh]);

  const act = async (what: string, action: () => Promise<unknown>) => {
    setStatus(`${what}…`);
    try {
      const said = await action();
      await refresh();
      setStatus(typeof said === 'string' ? said : `${what}: done`);
    } catch (error) {
      setStatus(`${what}: ${String(error)}`);
    }
  };

  const build = () => act('building', async () => {
    const started = await api.build(store.sources());
    for (;;) {
      const b = await api.getBuild(started.id);
      if (b.status === 'succeeded') {
        setChosen(b.version);
        return `version ${b.version} built`;
      }
      if (b.status === 'failed') throw new Error(b.diagnostics.map((d) => d.message).join('; '));
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  const latest = chosen ?? versions[versions.length - 1]?.number ?? null;
  return (
    <div className="deploy">
      <section aria-label="versions">
        <h2>Versions</h2>
        <button type="button" onClick={() => void build()}>Build a version from this pipeline</button>
        <table>
          <thead><tr><th>#</th><th>sha256</th><th>bytes</th><th>created</th></tr></thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.number} className={v.number === latest ? 'chosen' : ''}>
                <td><label><input type="radio" name="version" checked={v.number === latest} onChange={() => setChosen(v.number)} aria-label={`version ${v.number}`} /> {v.number}</label></td>
                <td><code>{v.sha256.slice(0, 12)}</code></td><td>{v.size}</td><td>{new Date(v.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="row">
          <label htmlFor="deploy-channel">Deploy to channel</label>
          <input id="deploy-channel" value={target} onChange={(e) => setTarget(e.target.value)} />
          <button type="button" disabled={latest === null} onClick={() => void act(`deploying ${latest} to ${target}`, () => api.setChannel(target, latest!))}>
            Deploy version {latest ?? ''} to {target}
          </button>
        </div>
      </section>
      <section aria-label="channels">
        <h2>Channels</h2>
        <table>
          <thead><tr><th>channel</th><th>version</th><th>actions</th><th>history (newest first)</th></tr></thead>
          <tbody>
            {channels.map((c) => (
              <tr key={c.name} data-testid={`channel-${c.name}`}>
                <td>{c.name}</td><td data-testid={`channel-${c.name}-version`}>{c.version}</td>
                <td>
                  {c.name !== 'production' && (
                    <button type="button" onClick={() => void act(`promoting ${c.name}`, () => api.promote('production', c.name))}>Promote to production</button>
                  )}
                  <button type="button" onClick={() => void act(`rolling back ${c.name}`, () => api.rollback(c.name))}>Roll back {c.name}</button>
                </td>
                <td><ol className="history">{(history[c.name] ?? []).map((h) => <li key={h.id}>{h.action} → v{h.version}</li>)}</ol></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="API keys">
        <h2>API keys</h2>
        <fieldset className="row">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s}><input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}</label>
          ))}
          <button type="button" disabled={!scopes.length} onClick={() => void act('creating a key', async () => setMinted(await api.createKey(scopes)))}>Create key</button>
        </fieldset>
        {minted?.key && (
          <div className="minted" role="alert">
            New key (shown once; copy it now): <code data-testid="minted-key">{minted.key}</code>
            <button type="button" onClick={() => setMinted(null)}>I have copied it</button>
          </div>
        )}
        <table>
          <thead><tr><th>id</th><th>scopes</th><th>created</th><th></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td><code>{k.id}</code></td><td>{k.scopes.join(' ')}</td><td>{new Date(k.created_at).toLocaleString()}</td>
                <td>{k.revoked_at ? 'revoked' : <button type="button" onClick={() => void act(`revoking ${k.id}`, () => api.revokeKey(k.id))}>Revoke</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="SDK snippet">
        <h2>SDK</h2>
        <label htmlFor="snippet-channel">Channel</label>{' '}
        <select id="snippet-channel" value={snippetChannel} onChange={(e) => setSnippetChannel(e.target.value)}>
          {[...new Set(['production', ...channels.map((c) => c.name)])].map((c) => <option key={c}>{c}</option>)}
        </select>
        <pre className="snippet" data-testid="sdk-snippet">{`from rune.forge.sdk import Forge

forge = Forge("${window.location.origin}", key="${minted?.key ?? 'fk_...'}", project="${api.session.project}",
              public_key="${publicKey}")
rune = forge.rune("${snippetChannel}", refresh_seconds=60)  # fetched, verified, loaded
outputs = rune.run({"audio": "up.wav"})                      # timed; telemetry sent`}</pre>
      </section>
      <p className="status" role="status" data-testid="deploy-status">{status}</p>
    </div>
  );
}
