import { VisuallyHidden } from '@mantine/core';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '@/lib/format';

export interface Attribution {
  feature: string;
  value: number;
}

/** Horizontal bars of the largest attributions by magnitude: positive (towards the predicted class) blue, negative red. */
export function AttributionChart({ items, top = 12 }: { items: Attribution[]; top?: number }) {
  const data = [...items].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, top);
  return (
    <figure style={{ margin: 0 }} aria-label="Feature attributions" data-testid="attribution-chart">
      <ResponsiveContainer width="100%" height={Math.max(160, data.length * 26 + 40)}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" tickFormatter={(v: number) => formatNumber(v, 2)} />
          <YAxis type="category" dataKey="feature" width={110} interval={0} />
          <Tooltip formatter={(v) => formatNumber(Number(v), 4)} />
          <Bar dataKey="value" name="attribution" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.feature} fill={d.value >= 0 ? 'var(--mantine-color-blue-6)' : 'var(--mantine-color-red-6)'} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      <figcaption>
        <VisuallyHidden>{data.map((d) => `${d.feature}: ${formatNumber(d.value, 3)}`).join('; ')}</VisuallyHidden>
      </figcaption>
    </figure>
  );
}
