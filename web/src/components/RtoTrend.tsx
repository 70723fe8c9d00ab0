import type { DrillRunView } from '../api/types.ts';
import { Link } from '../lib/router.tsx';
import { formatMeasured } from '../lib/time.ts';
import { PassBadge } from './RecoveryBadges.tsx';
import { Time } from './Time.tsx';

const W = 640;
const H = 200;
const PAD = { top: 12, bottom: 28, left: 8, right: 8 };

/**
 * Measured RTO per drill run, oldest first: a bar each against the objective recorded with that
 * run (a dashed line), green within it, red over it or failed, grey where RTO was not measured;
 * ✓ or ✗ under each bar for passed or failed. The same figures follow as a table.
 */
export function RtoTrend({ runs }: { runs: DrillRunView[] }) {
  const ordered = [...runs].reverse();
  if (!ordered.length) return <p className="empty">No drill runs yet.</p>;
  const max = Math.max(...ordered.map((r) => Math.max(r.rto_ms ?? 0, r.rto_objective_ms))) * 1.15;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = (W - PAD.left - PAD.right) / ordered.length;
  const barW = Math.max(4, Math.min(40, slot * 0.6));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const passed = ordered.filter((r) => r.passed === true).length;
  const failed = ordered.filter((r) => r.passed === false).length;
  // Values over the bars only where there is room for them; the table always has them.
  const labelled = slot >= 44;
  const newestObjective = ordered[ordered.length - 1].rto_objective_ms;
  const within = ordered.filter((r) => r.rto_ms !== null && r.rto_ms <= r.rto_objective_ms).length;
  return (
    <figure className="dr-trend">
      <figcaption className="small-text">
        Measured RTO of the last {ordered.length} drill run{ordered.length === 1 ? '' : 's'}, oldest first: {within} within the objective, {passed} passed, {failed} failed. Bars: green within the objective, red over it or failed, grey not measured; dashed line: the objective; ✓ passed, ✗ failed.
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="RTO per drill run against the objective (the table below has the same figures)">
        <line className="trend-axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
        <text x={PAD.left} y={y(newestObjective) - 4}>
          objective {formatMeasured(newestObjective)}
        </text>
        {ordered.map((r, i) => {
          const cx = PAD.left + slot * i + slot / 2;
          const measured = r.rto_ms;
          const tone = measured === null ? 'none' : r.passed === false || measured > r.rto_objective_ms ? 'bad' : 'ok';
          const top = measured === null ? y(0) - 4 : Math.min(y(measured), y(0) - 2);
          return (
            <g key={r.id} data-run={r.id} data-tone={tone}>
              <rect className={`trend-bar-${tone}`} x={cx - barW / 2} y={top} width={barW} height={y(0) - top}>
                <title>{`${r.started_at.slice(0, 16).replace('T', ' ')} UTC: RTO ${measured === null ? 'not measured' : formatMeasured(measured)} (objective ${formatMeasured(r.rto_objective_ms)})`}</title>
              </rect>
              {labelled && (
                <text x={cx} y={top - 4} textAnchor="middle">
                  {measured === null ? 'n/a' : formatMeasured(measured)}
                </text>
              )}
              <line className="trend-objective" x1={cx - slot / 2 + 1} x2={cx + slot / 2 - 1} y1={y(r.rto_objective_ms)} y2={y(r.rto_objective_ms)} />
              <text x={cx} y={H - PAD.bottom + 16} textAnchor="middle">
                {r.passed === null ? '…' : r.passed ? '✓' : '✗'}
              </text>
            </g>
          );
        })}
      </svg>
      <div className="dr-table-wrap">
        <table className="dr-table" aria-label="Drill runs">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Result</th>
              <th scope="col">RTO measured</th>
              <th scope="col">RTO objective</th>
              <th scope="col">RPO measured</th>
              <th scope="col">RPO objective</th>
              <th scope="col">Trigger</th>
              <th scope="col">Report</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-drill-run={r.id}>
                <td>
                  <Time iso={r.started_at} />
                </td>
                <td>
                  <PassBadge passed={r.passed} />
                </td>
                <td className="num">{r.rto_ms === null ? 'not measured' : formatMeasured(r.rto_ms)}</td>
                <td className="num">{formatMeasured(r.rto_objective_ms)}</td>
                <td className="num">{r.rpo_ms === null ? 'not measured' : formatMeasured(r.rpo_ms)}</td>
                <td className="num">{formatMeasured(r.rpo_objective_ms)}</td>
                <td>{r.trigger === 'scheduled' ? 'scheduled' : `by ${r.started_by}`}</td>
                <td>
                  <Link to={`/drill-runs/${r.id}`}>report</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
