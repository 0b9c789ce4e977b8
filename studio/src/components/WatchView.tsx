/** Watch: latency percentiles over time (per stage), error rate and active devices, from the
 * server's telemetry query endpoints. */
import { useCallback, useEffect, useState } from 'react';
import type { Api, LatencyOut, SummaryOut } from '../lib/api';

function Chart({ data }: { data: LatencyOut }) {
  const width = 760;
  const height = 200;
  const pad = 50;
  const points = data.buckets.filter((b) => b.count > 0);
  const t1 = Date.now() / 1000;
  const t0 = t1 - data.window_s; // the whole window, now at the right
  const top = Math.max(1e-6, ...points.map((b) => b.p99 ?? 0));
  const x = (t: number) => pad + ((t - t0) / (t1 - t0 || 1)) * (width - 2 * pad);
  const y = (v: number) => height - pad - (v / top) * (height - 2 * pad);
  const series = (['p50', 'p95', 'p99'] as const).map((k, i) => ({
    k, colour: ['#4e79a7', '#f28e2b', '#e15759'][i],
    path: points.map((b, j) => `${j ? 'L' : 'M'}${x(b.start)},${y(b[k] ?? 0)}`).join(' '),
  }));
  return (
    <svg width={width} height={height} role="img" aria-label={`latency of ${data.stage}`} data-testid={`latency-${data.stage}`}>
      <line x1={pad} x2={pad} y1={pad / 2} y2={height - pad} stroke="#888" />
      <line x1={pad} x2={width - pad} y1={height - pad} y2={height - pad} stroke="#888" />
      <text x={pad - 4} y={y(top) + 4} textAnchor="end" fontSize="11">{top.toFixed(2)} ms</text>
      <text x={pad} y={height - pad + 16} fontSize="11">{`${Math.round(data.window_s / 60)} min ago`}</text>
      <text x={width - pad} y={height - pad + 16} textAnchor="end" fontSize="11">now</text>
      {series.map((s) => (
        <g key={s.k}>
          <path d={s.path} fill="none" stroke={s.colour} strokeWidth={2} />
          {points.map((b, j) => <circle key={j} cx={x(b.start)} cy={y(b[s.k] ?? 0)} r={3} fill={s.colour} data-testid={`point-${data.stage}-${s.k}`}><title>{`${s.k} ${b[s.k]} ms (${b.count} events)`}</title></circle>)}
          <text x={width - pad + 4} y={pad / 2 + 14 * (['p50', 'p95', 'p99'].indexOf(s.k) + 1)} fontSize="11" fill={s.colour}>{s.k}</text>
        </g>
      ))}
    </svg>
  );
}

export function WatchView({ api }: { api: Api }) {
  const [windowS, setWindowS] = useState(3600);
  const [summary, setSummary] = useState<SummaryOut | null>(null);
  const [latency, setLatency] = useState<LatencyOut[]>([]);
  const [error, setError] = useState('');

  const refresh = useCallback(async () => {
    try {
      const s = await api.summary(windowS);
      setSummary(s);
      const bucket = Math.max(10, windowS / 30);
      setLatency(await Promise.all(['total', ...s.stages].map((stage) => api.latency(windowS, bucket, stage))));
      setError('');
    } catch (e) {
      setError(String(e));
    }
  }, [api, windowS]);

  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), 5000);
    return () => window.clearInterval(timer);
  }, [refresh]);

  return (
    <div className="watch">
      <div className="row">
        <label htmlFor="watch-window">Window</label>
        <select id="watch-window" value={windowS} onChange={(e) => setWindowS(Number(e.target.value))}>
          <option value={900}>15 minutes</option><option value={3600}>1 hour</option><option value={86400}>1 day</option>
        </select>
        <button type="button" onClick={() => void refresh()}>Refresh</button>
      </div>
      {summary && (
        <dl className="summary-cards" data-testid="watch-summary">
          <div><dt>inferences</dt><dd data-testid="watch-inferences">{summary.inferences}</dd></div>
          <div><dt>errors</dt><dd>{summary.errors}</dd></div>
          <div><dt>error rate</dt><dd>{(summary.error_rate * 100).toFixed(1)}%</dd></div>
          <div><dt>active devices</dt><dd data-testid="watch-devices">{summary.active_devices}</dd></div>
        </dl>
      )}
      {latency.map((l) => (
        <section key={l.stage} aria-label={`latency ${l.stage}`}>
          <h3>{l.stage}: p50 {l.overall.p50?.toFixed(3) ?? '–'} ms · p95 {l.overall.p95?.toFixed(3) ?? '–'} ms · {l.overall.count} events</h3>
          <Chart data={l} />
        </section>
      ))}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
