import { Line, LineChart, YAxis } from 'recharts';

/** The final score's trend (last snapshot of each day). */
export function Sparkline({ points, label }: { points: { day: string; final: number }[]; label: string }) {
  if (points.length < 2) return <span aria-label={label}>—</span>;
  return (
    <span role="img" aria-label={label} style={{ display: 'inline-block' }}>
      <LineChart width={110} height={28} data={points}>
        <YAxis hide domain={[0, 7]} />
        <Line type="monotone" dataKey="final" stroke="#1c7ed6" strokeWidth={2} dot={false} isAnimationActive={false} />
      </LineChart>
    </span>
  );
}
