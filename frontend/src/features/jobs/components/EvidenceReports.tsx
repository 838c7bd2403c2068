import { Badge, Card, Group, SimpleGrid, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  ErrorBar,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatNumber, formatRatio } from '@/lib/format';
import type { FeatureImportanceReport, StalenessReport, TuneReport } from '../api/jobs';
import { KeyValues } from './KeyValues';

/** The reports of the jobs that measure rubric tests: data-2/data-3, model-3, model-4. */

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder radius="md" padding="md">
      <Title order={5} mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

function Verdict({ passed, label }: { passed: boolean; label: string }) {
  return (
    <Badge color={passed ? 'green' : 'red'} variant="light">
      {label}: {passed ? 'pass' : 'fail'}
    </Badge>
  );
}

const points = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatNumber(v * 100, 3));

/** data-2 and data-3: importance per feature with its interval, flagged features, importance per unit of cost. */
export function FeatureImportanceView({ r }: { r: FeatureImportanceReport }) {
  const shown = [...r.features].sort((a, b) => b.mean - a.mean);
  const data = shown.map((f) => ({
    name: f.feature,
    importance: f.mean * 100,
    // recharts ErrorBar takes [below, above] distances from the bar's value
    interval: [(f.mean - f.ci_low) * 100, (f.ci_high - f.mean) * 100],
    flagged: f.flagged,
    exempt: f.exempt,
  }));
  const height = Math.max(220, Math.min(24 * data.length, 1400));
  return (
    <SimpleGrid cols={1} spacing="md">
      <Group gap="xs">
        <Verdict passed={r.passed} label="data-2 all features beneficial" />
        {r.cost ? <Verdict passed={r.cost.passed} label="data-3 cost per feature" /> : null}
      </Group>
      <Section title={`Permutation importance (accuracy points, ${formatRatio(r.confidence, 0)} intervals over ${r.n_repeats} shuffles)`}>
        <div style={{ width: '100%', height }} data-testid="chart-importance">
          <ResponsiveContainer>
            <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" fontSize={11} tickFormatter={(v: number) => formatNumber(v, 2)} />
              <YAxis type="category" dataKey="name" width={90} fontSize={11} interval={0} />
              <Tooltip formatter={(v) => `${formatNumber(Number(v), 3)} points`} />
              <ReferenceLine x={r.min_importance * 100} stroke="#fa5252" strokeDasharray="4 4" />
              <Bar dataKey="importance" isAnimationActive={false}>
                {data.map((d) => (
                  <Cell key={d.name} fill={d.flagged ? '#fa5252' : d.exempt ? '#adb5bd' : '#228be6'} />
                ))}
                <ErrorBar dataKey="interval" width={4} stroke="#495057" direction="x" />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
        <Text size="xs" c="dimmed">
          Red: flagged (the whole interval at or below {points(r.min_importance)} points). Grey: exempt by declaration. Baseline accuracy{' '}
          {formatRatio(r.baseline_score)}.
        </Text>
      </Section>
      <Section title="Flagged and exempt features">
        <KeyValues
          rows={[
            ['flagged', r.flagged.length ? r.flagged.join(', ') : 'none'],
            ['exempt (declared)', r.exempt.length ? r.exempt.join(', ') : 'none'],
            ['constant in the evaluation rows', r.features.filter((f) => f.constant).map((f) => f.feature).join(', ') || 'none'],
          ]}
        />
      </Section>
      <Section title="Importance and cost per feature">
        {r.cost ? (
          <Text size="sm" mb="xs">
            {r.cost.summary}
          </Text>
        ) : (
          <Text size="sm" c="dimmed" mb="xs">
            No minimum importance per unit of cost was configured (params.min_importance_per_cost): data-3 is reported, not judged.
          </Text>
        )}
        <Table striped data-testid="importance-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Feature</Table.Th>
              <Table.Th>Importance (points)</Table.Th>
              <Table.Th>Interval</Table.Th>
              <Table.Th>Cost</Table.Th>
              <Table.Th>Per unit of cost</Table.Th>
              {r.ablation_baseline !== null && r.ablation_baseline !== undefined ? <Table.Th>Ablation drop (points)</Table.Th> : null}
              <Table.Th>Verdict</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((f) => (
              <Table.Tr key={f.feature}>
                <Table.Td>{f.feature}</Table.Td>
                <Table.Td>{points(f.mean)}</Table.Td>
                <Table.Td>
                  {points(f.ci_low)} … {points(f.ci_high)}
                </Table.Td>
                <Table.Td>{f.cost === null || f.cost === undefined ? '—' : `${formatNumber(f.cost)} (${f.cost_source})`}</Table.Td>
                <Table.Td>{f.per_cost === null || f.per_cost === undefined ? '—' : formatNumber(f.per_cost, 3)}</Table.Td>
                {r.ablation_baseline !== null && r.ablation_baseline !== undefined ? <Table.Td>{points(f.ablation_drop)}</Table.Td> : null}
                <Table.Td>
                  {f.exempt ? 'exempt' : f.flagged ? <Text c="red">flagged</Text> : f.below_ratio ? <Text c="red">costs too much</Text> : 'ok'}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
    </SimpleGrid>
  );
}

/** model-3: every trial's accuracy, the best so far, and where the starting configuration ranks. */
export function TuneView({ r }: { r: TuneReport }) {
  const data = r.trials.map((t, i) => {
    const done = r.trials.slice(0, i + 1).flatMap((u) => (u.state === 'complete' && u.value !== null ? [u.value] : []));
    return {
      trial: t.number,
      complete: t.state === 'complete' ? t.value : null,
      pruned: t.state === 'pruned' ? (t.intermediate.at(-1) ?? null) : null,
      best: done.length ? Math.max(...done) : null,
    };
  });
  return (
    <SimpleGrid cols={1} spacing="md">
      <Group gap="xs">
        <Verdict passed={r.passed} label="model-3 hyperparameters tuned" />
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Section title="Study">
          <KeyValues
            rows={[
              ['recipe', r.recipe],
              ['trials', `${r.completed} completed, ${r.pruned} pruned of ${r.n_trials}`],
              ['pruning', r.pruning ? 'median pruner on per-epoch accuracy' : r.pruning_note || 'off'],
              ['best accuracy', r.best_value === null ? '—' : `${formatRatio(r.best_value, 2)} (trial ${r.best_trial})`],
              ['starting configuration', `${formatRatio(r.reference_value, 2)}, rank ${r.reference_rank} (top ${r.top_k} passes)`],
              ['evaluation rows', formatNumber(r.eval_rows)],
            ]}
          />
        </Section>
        <Section title="Accuracy per trial">
          <div style={{ width: '100%', height: 220 }} data-testid="chart-trials">
            <ResponsiveContainer>
              <ComposedChart data={data} margin={{ left: 8, right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="trial" fontSize={11} />
                <YAxis width={48} fontSize={11} domain={['auto', 'auto']} tickFormatter={(v: number) => formatRatio(v, 0)} />
                <Tooltip formatter={(v) => formatRatio(Number(v), 2)} />
                <ReferenceLine y={r.reference_value} stroke="#fab005" strokeDasharray="4 4" label={{ value: 'start', fontSize: 11 }} />
                <Line dataKey="best" stroke="#40c057" dot={false} isAnimationActive={false} />
                <Scatter dataKey="complete" fill="#228be6" isAnimationActive={false} />
                <Scatter dataKey="pruned" fill="#adb5bd" isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
        </Section>
      </SimpleGrid>
      <Section title="Trials">
        <Table striped data-testid="trials-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Trial</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Accuracy</Table.Th>
              <Table.Th>Values</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {r.trials.map((t) => (
              <Table.Tr key={t.number} fw={t.number === r.best_trial ? 700 : undefined}>
                <Table.Td>{t.number}</Table.Td>
                <Table.Td>{t.state}</Table.Td>
                <Table.Td>{t.value === null ? '—' : formatRatio(t.value, 2)}</Table.Td>
                <Table.Td>
                  {Object.entries(t.params)
                    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v, 3) : JSON.stringify(v)}`)
                    .join(', ')}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
    </SimpleGrid>
  );
}

/** model-4: accuracy against model age with the fitted line, and the loss over the retraining interval. */
export function StalenessView({ r }: { r: StalenessReport }) {
  const data = r.points.map((p) => ({
    age: p.age_days,
    accuracy: p.accuracy,
    fit: r.intercept + (r.slope_per_week * p.age_days) / 7,
    label: `v${p.version}`,
  }));
  return (
    <SimpleGrid cols={1} spacing="md">
      <Group gap="xs">
        <Verdict passed={r.passed} label="model-4 staleness impact known" />
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Section title="Accuracy against model age (days)">
          <div style={{ width: '100%', height: 220 }} data-testid="chart-staleness">
            <ResponsiveContainer>
              <ComposedChart data={data} margin={{ left: 8, right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="age" type="number" fontSize={11} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 3)} />
                <YAxis width={48} fontSize={11} domain={['auto', 'auto']} tickFormatter={(v: number) => formatRatio(v, 0)} />
                <Tooltip formatter={(v) => formatRatio(Number(v), 2)} labelFormatter={(v) => `${formatNumber(Number(v), 3)} days old`} />
                <Line dataKey="fit" stroke="#fa5252" dot={false} isAnimationActive={false} />
                <Scatter dataKey="accuracy" fill="#228be6" isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
        </Section>
        <Section title="Loss per week">
          <KeyValues
            rows={[
              ['accuracy lost per week', `${points(r.loss_per_week)} points`],
              ['retraining interval', `${formatNumber(r.retrain_interval_days, 3)} days (${r.interval_source})`],
              ['expected loss over the interval', `${points(r.expected_loss)} points (tolerance ${points(r.tolerance)} points)`],
              ['labelled data', `${formatNumber(r.rows)} rows, ${formatNumber(r.data_age_days, 2)} days old (fresh: ${formatNumber(r.fresh_days)})`],
              ['correlation r', r.r_value === null ? '—' : formatNumber(r.r_value, 3)],
            ]}
          />
        </Section>
      </SimpleGrid>
      <Section title="Versions">
        <Table striped data-testid="staleness-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>Trained</Table.Th>
              <Table.Th>Age (days)</Table.Th>
              <Table.Th>Accuracy</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {r.points.map((p) => (
              <Table.Tr key={p.version}>
                <Table.Td>
                  v{p.version} {p.live ? <Badge size="xs">this version</Badge> : null}
                </Table.Td>
                <Table.Td>
                  {p.trained_at.slice(0, 10)} ({p.date_source})
                </Table.Td>
                <Table.Td>{formatNumber(p.age_days, 3)}</Table.Td>
                <Table.Td>{formatRatio(p.accuracy, 2)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
    </SimpleGrid>
  );
}
