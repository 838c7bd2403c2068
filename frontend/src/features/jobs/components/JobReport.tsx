import { ExplanationView } from '@/components/ExplanationView';
import { FairnessTable } from '@/components/FairnessTable';
import { ReplayTable } from '@/components/ReplayTable';
import { Badge, Card, Group, SimpleGrid, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { FeatureImportanceView, StalenessView, TuneView } from './EvidenceReports';
import { KeyValues } from './KeyValues';
import { type CompressionReport, type DistillReport, type EvaluateReport, type ExportReport, hasReport, type JobDetail, type TrainingTestsReport } from '../api/jobs';

type Dict = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmt = (v: unknown, digits = 4): string => {
  const n = num(v);
  if (n === null) return '—';
  if (Math.abs(n) !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(2);
  return Number(n.toFixed(digits)).toString();
};
const bytes = (v: unknown): string => {
  const n = num(v);
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
};
const kib = (v: unknown): number | null => {
  const n = num(v);
  return n === null ? null : Number((n / 1024).toFixed(1));
};

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

/** Axis ticks: short numbers (the unit is in the chart title, so ticks never wrap onto two lines). */
export const tick = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return Number(v.toPrecision(3)).toString();
};

function Compare({ title, data, unit }: { title: string; data: Dict[]; unit?: string }) {
  const series = Object.keys(data[0] ?? {}).filter((k) => k !== 'name');
  const colors = ['#868e96', '#228be6', '#40c057', '#fab005'];
  return (
    <Section title={title}>
      <div style={{ width: '100%', height: 200 }} data-testid={`chart-${title}`}>
        <ResponsiveContainer>
          <BarChart data={data} margin={{ left: 8, right: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" fontSize={12} />
            <YAxis width={48} fontSize={11} tickFormatter={tick} />
            <Tooltip formatter={(v) => `${fmt(v)}${unit ?? ''}`} />
            <Legend itemSorter={null} />
            {series.map((s, i) => (
              <Bar key={s} dataKey={s} fill={colors[i % colors.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </Section>
  );
}

function SliceTable({ slices, deltas }: { slices: Record<string, Record<string, number>>; deltas?: Record<string, number> }) {
  const names = Object.keys(slices);
  if (names.length === 0) return <Text size="sm" c="dimmed">No slices.</Text>;
  return (
    <Table striped>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Slice</Table.Th>
          <Table.Th>Rows</Table.Th>
          <Table.Th>Accuracy</Table.Th>
          <Table.Th>Macro F1</Table.Th>
          {deltas ? <Table.Th>Δ accuracy (points)</Table.Th> : null}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {names.map((n) => {
          const m = slices[n] ?? {};
          const d = deltas ? num(deltas[n]) : null;
          return (
            <Table.Tr key={n}>
              <Table.Td>{n}</Table.Td>
              <Table.Td>{fmt(m.n, 0)}</Table.Td>
              <Table.Td>{fmt(m.accuracy)}</Table.Td>
              <Table.Td>{fmt(m.macro_f1)}</Table.Td>
              {deltas ? <Table.Td c={d !== null && d < 0 ? 'red' : undefined}>{d === null ? '—' : (d * 100).toFixed(2)}</Table.Td> : null}
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function TrainingTests({ r }: { r: TrainingTestsReport }) {
  return (
    <SimpleGrid cols={1} spacing="md">
      <Section title="Checks">
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Check</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th>Rubric</Table.Th>
              <Table.Th>Summary</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {r.checks.map((c) => (
              <Table.Tr key={c.name}>
                <Table.Td>{c.name.replaceAll('_', ' ')}</Table.Td>
                <Table.Td>
                  <Badge color={c.passed ? 'green' : 'red'} variant="light">
                    {c.passed ? 'pass' : 'fail'}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.rubric.join(', ')}</Table.Td>
                <Table.Td>{c.summary}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
      <Compare
        title="Model vs simpler baselines (accuracy)"
        data={[
          { name: 'model', accuracy: num(r.metrics.accuracy) },
          ...Object.entries(r.baselines).map(([k, v]) => ({ name: k.replaceAll('_', ' '), accuracy: num(v.accuracy) })),
        ]}
      />
    </SimpleGrid>
  );
}

function Evaluate({ r }: { r: EvaluateReport }) {
  const slices = r.slice_metrics;
  return (
    <SimpleGrid cols={1} spacing="md">
      <Section title="Overall">
        <KeyValues rows={Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])} />
      </Section>
      <Compare title="Accuracy per slice" data={Object.entries(slices).map(([k, v]) => ({ name: k, accuracy: num(v.accuracy) }))} />
      <Section title="Slices">
        <SliceTable slices={slices} />
      </Section>
    </SimpleGrid>
  );
}

function Export({ r }: { r: ExportReport }) {
  const lat = r.latency_ms;
  const engines = Object.keys(lat);
  const data = ['1', '64'].map((b) => ({ name: `batch ${b}`, ...Object.fromEntries(engines.map((e) => [e, num(lat[e]?.[b])])) }));
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
      <Section title="Parity">
        <KeyValues
          rows={[
            ['format', r.format],
            ...(r.opset === null ? [] : ([['opset', fmt(r.opset, 0)]] as [string, string][])),
            ['max abs diff', r.max_abs_diff === null ? 'not measured' : fmt(r.max_abs_diff)],
            ...(r.tolerance === null ? [] : ([['tolerance', fmt(r.tolerance)]] as [string, string][])),
            ['rows compared', fmt(r.parity_rows, 0)],
            ['size', bytes(r.size_bytes)],
            ...(r.accuracy === null ? [] : ([['accuracy', fmt(r.accuracy)]] as [string, string][])),
            ...(r.reference_accuracy === null || r.reference_accuracy === undefined
              ? []
              : ([['accuracy of the parent', fmt(r.reference_accuracy)]] as [string, string][])),
            ...(r.max_metric_drop === null || r.max_metric_drop === undefined
              ? []
              : ([['gate: max accuracy drop', `${(r.max_metric_drop * 100).toFixed(2)} points`]] as [string, string][])),
            ...(r.parity ? ([['parity', r.parity]] as [string, string][]) : []),
          ]}
        />
      </Section>
      {engines.length > 0 ? <Compare title="Latency (ms)" data={data} unit=" ms" /> : null}
      {r.spec && Object.keys(r.spec).length > 0 ? (
        r.format === 'tflite' ? (
          <LiteRTModel spec={r.spec as Record<string, unknown>} />
        ) : (
          <CoremlSpec spec={r.spec as Record<string, unknown>} />
        )
      ) : null}
      {r.profiles.length > 0 ? (
        <Section title="Edge profiles">
          <KeyValues
            rows={r.profiles.map((p) => {
              const c = p.checks as Record<string, { limit: number; value: number | null; passed: boolean | null }>;
              const size = `${bytes(c.size_bytes?.value ?? 0)} (max ${bytes(c.size_bytes?.limit ?? 0)})`;
              const detail =
                c.latency_ms?.passed === null
                  ? `${size} · latency and accuracy not measurable on this platform (size checked only)`
                  : `${size} · ${fmt(c.latency_ms?.value)} ms (max ${fmt(c.latency_ms?.limit)}) · accuracy ${fmt(c.accuracy?.value)} (min ${fmt(c.accuracy?.limit)})`;
              return [p.name, `${p.passed ? 'met' : 'not met'}: ${detail}`];
            })}
          />
        </Section>
      ) : null}
    </SimpleGrid>
  );
}

const counts = (spec: Record<string, unknown>, key: string) =>
  Object.entries((spec[key] as Record<string, number> | undefined) ?? {})
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');

/** A LiteRT export's model: its TFLite operators, precision, input/output dtype and converter. */
function LiteRTModel({ spec }: { spec: Record<string, unknown> }) {
  return (
    <Section title="LiteRT model">
      <KeyValues
        rows={[
          ['operators', counts(spec, 'op_types')],
          ['precision', String(spec.precision ?? '')],
          ['input/output dtype', String(spec.io_dtype ?? '')],
          ['converter', String(spec.converter ?? '')],
        ]}
      />
    </Section>
  );
}

/** A Core ML export's checked spec: inputs, outputs, operator types, precision, deployment target. */
function CoremlSpec({ spec }: { spec: Record<string, unknown> }) {
  const io = (key: string) =>
    ((spec[key] as { name: string; dtype: string; shape: number[] }[] | undefined) ?? []).map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`).join('; ');
  return (
    <Section title="Core ML spec">
      <KeyValues
        rows={[
          ['inputs', io('inputs')],
          ['outputs', io('outputs')],
          ['operators', counts(spec, 'op_types')],
          ['constant tensors', counts(spec, 'weight_dtypes')],
          ['compute precision', String(spec.compute_precision ?? '')],
          ['minimum target', String(spec.minimum_deployment_target ?? '')],
        ]}
      />
    </Section>
  );
}

function Compression({ r }: { r: CompressionReport }) {
  const { before, after, ratios } = r;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
      <Compare
        title="Size (KiB)"
        unit=" KiB"
        data={[{ name: 'artifact', before: kib(before.size_bytes), after: kib(after.size_bytes) }]}
      />
      <Compare
        title="Latency (ms)"
        unit=" ms"
        data={['1', '64'].map((b) => ({ name: `batch ${b}`, before: num(before.latency_ms[b]), after: num(after.latency_ms[b]) }))}
      />
      <Compare
        title="Accuracy"
        data={[{ name: 'eval set', before: num(before.metrics.accuracy), after: num(after.metrics.accuracy) }]}
      />
      <Section title="Ratios and gate">
        <KeyValues
          rows={[
            ['size (before/after)', `${fmt(ratios.size, 2)}x`],
            ['latency batch 1', `${fmt(ratios.latency_1, 2)}x`],
            ['latency batch 64', `${fmt(ratios.latency_64, 2)}x`],
            ['accuracy change', `${((num(r.metric_delta) ?? 0) * 100).toFixed(2)} points`],
            ['gate: max drop', `${((num(r.max_metric_drop) ?? 0) * 100).toFixed(2)} points`],
            ['size before / after', `${bytes(before.size_bytes)} / ${bytes(after.size_bytes)}`],
          ]}
        />
      </Section>
      <Section title="Slices after (Δ vs before)">
        <SliceTable slices={after.slice_metrics} deltas={r.slice_deltas} />
      </Section>
    </SimpleGrid>
  );
}

function Distill({ r }: { r: DistillReport }) {
  const models = { teacher: r.teacher, student: r.student, 'hard-label student': r.hard_label_student };
  const ratios = r.ratios;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
      <Compare title="Accuracy" data={Object.entries(models).map(([k, v]) => ({ name: k, accuracy: num(v.metrics.accuracy) }))} />
      <Compare title="Parameters" data={Object.entries(models).map(([k, v]) => ({ name: k, params: num(v.params) }))} />
      <Compare
        title="Latency batch 64 (ms)"
        unit=" ms"
        data={Object.entries(models).map(([k, v]) => ({ name: k, ms: num(v.latency_ms['64']) }))}
      />
      <Section title="Ratios">
        <KeyValues
          rows={[
            ['student/teacher params', fmt(ratios.params)],
            ['student/teacher accuracy', fmt(ratios.accuracy)],
            ['vs hard-label student', `${fmt(ratios.vs_hard_labels_points, 2)} points`],
            ['temperature / alpha', `${fmt(r.temperature, 2)} / ${fmt(r.alpha, 2)}`],
          ]}
        />
      </Section>
    </SimpleGrid>
  );
}

/** The before/after report of a finished job, as charts and tables (nothing while a job has no report). */
export function JobReport({ job }: { job: JobDetail }) {
  const r = job.result;
  if (!hasReport(r)) return null;
  return (
    <div data-testid="job-report">
      <Group mb="xs">
        <Title order={4}>Report</Title>
        {'summary' in r ? <Text size="sm">{r.summary}</Text> : null}
      </Group>
      {/* each kind's report has a field no other report has */}
      {'checks' in r ? <TrainingTests r={r} /> : null}
      {'failing_slices' in r ? <Evaluate r={r} /> : null}
      {'max_abs_diff' in r ? <Export r={r} /> : null}
      {'before' in r ? <Compression r={r} /> : null}
      {'teacher' in r ? <Distill r={r} /> : null}
      {'output_kind' in r ? <ExplanationView explanation={r} /> : null}
      {'agreement' in r ? <ReplayTable report={r} /> : null}
      {'groupings' in r ? <FairnessTable report={r} /> : null}
      {'flagged' in r ? <FeatureImportanceView r={r} /> : null}
      {'trials' in r ? <TuneView r={r} /> : null}
      {'points' in r && 'loss_per_week' in r ? <StalenessView r={r} /> : null}
    </div>
  );
}
