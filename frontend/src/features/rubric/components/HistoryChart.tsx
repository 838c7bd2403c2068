import { Text } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDateTime } from '@/lib/format';
import type { Assessment, RubricSection } from '../api/rubric';

const COLOURS: Record<string, string> = {
  final: '#e8590c',
  data: '#1c7ed6',
  model: '#7048e8',
  infra: '#0ca678',
  monitor: '#f08c00',
};

/** The paper's scale: every whole point from 0 to 7, evenly spaced. */
const TICKS = [0, 1, 2, 3, 4, 5, 6, 7];

/** Final and section scores of every snapshot over time (numbers straight from the API). */
export function HistoryChart({ history, rubricSections }: { history: Assessment[]; rubricSections: RubricSection[] }) {
  if (history.length === 0) return <Text c="dimmed">No snapshots yet: answer a test to start the history.</Text>;
  const points = [...history].reverse().map((a) => ({
    at: new Date(a.created_at).getTime(),
    final: a.final,
    ...a.sections,
  }));
  return (
    <div data-testid="history-chart" style={{ width: '100%', height: 300 }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="at"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(v: number) => new Date(v).toLocaleDateString()}
          />
          <YAxis
            domain={[0, 7]}
            ticks={TICKS}
            interval={0}
            allowDecimals={false}
            allowDataOverflow
            width={32}
            label={{ value: 'Score (0–7)', angle: -90, position: 'insideLeft', offset: 10 }}
          />
          <Tooltip labelFormatter={(v) => formatDateTime(new Date(Number(v)).toISOString())} />
          <Legend />
          <Line type="stepAfter" dataKey="final" name="Final (minimum)" stroke={COLOURS.final} strokeWidth={3} dot={false} />
          {rubricSections.map((s) => (
            <Line key={s.id} type="stepAfter" dataKey={s.id} name={s.title} stroke={COLOURS[s.id]} strokeWidth={1.5} dot={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
