import { Badge, Group, Select, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { formatDateTime, formatScore } from '@/lib/format';
import { useSnapshot, type Assessment, type RubricSection, type Status } from '../api/rubric';
import { SECTION_IDS } from '../scoring';

const LABEL: Record<Status, string> = { none: 'Not done', manual: 'Manual', automated: 'Automated' };

function delta(value: number): string {
  return value > 0 ? `+${formatScore(value)}` : value < 0 ? `−${formatScore(-value)}` : '±0';
}

/** What changed between two snapshots: per test status, note and links; per section the score. */
export function SnapshotDiff({ slug, history, rubricSections }: { slug: string; history: Assessment[]; rubricSections: RubricSection[] }) {
  const [fromId, setFromId] = useState<string | null>(history[1] ? String(history[1].id) : null);
  const [toId, setToId] = useState<string | null>(history[0] ? String(history[0].id) : null);
  const from = useSnapshot(slug, fromId ? Number(fromId) : null);
  const to = useSnapshot(slug, toId ? Number(toId) : null);
  if (history.length < 2) return <Text c="dimmed">Save at least two snapshots to compare them.</Text>;
  const options = history.map((a) => ({
    value: String(a.id),
    label: `#${a.id} · ${formatDateTime(a.created_at)} · ${a.created_by ?? 'unknown'} · ${formatScore(a.final)}`,
  }));
  const titles = Object.fromEntries(rubricSections.flatMap((s) => s.tests.map((t) => [t.id, t.title])));
  const a = from.data;
  const b = to.data;
  const changes =
    a?.answers && b?.answers
      ? Object.keys(b.answers).filter((id) => {
          const x = a.answers?.[id];
          const y = b.answers?.[id];
          return !x || !y || x.status !== y.status || x.note !== y.note || x.links.join() !== y.links.join();
        })
      : [];
  return (
    <Stack gap="md" data-testid="snapshot-diff">
      <Group grow>
        <Select label="From snapshot" data={options} value={fromId} onChange={setFromId} allowDeselect={false} />
        <Select label="To snapshot" data={options} value={toId} onChange={setToId} allowDeselect={false} />
      </Group>
      {a && b ? (
        <>
          <Group gap="xs">
            <Badge variant="light" tt="none">
              Final {formatScore(a.final)} → {formatScore(b.final)} ({delta(b.final - a.final)})
            </Badge>
            {SECTION_IDS.map((s) => (
              <Badge key={s} variant="outline" color="gray" tt="none">
                {rubricSections.find((r) => r.id === s)?.title ?? s}: {formatScore(a.sections[s])} → {formatScore(b.sections[s])}
              </Badge>
            ))}
          </Group>
          {changes.length === 0 ? (
            <Text c="dimmed">No answers differ.</Text>
          ) : (
            <Table striped withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Test</Table.Th>
                  <Table.Th>Before</Table.Th>
                  <Table.Th>After</Table.Th>
                  <Table.Th>Note</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {changes.map((id) => {
                  const x = a.answers?.[id];
                  const y = b.answers?.[id];
                  return (
                    <Table.Tr key={id}>
                      <Table.Td>
                        <b>{id}</b> {titles[id]}
                      </Table.Td>
                      <Table.Td>{x ? LABEL[x.status] : '—'}</Table.Td>
                      <Table.Td>{y ? LABEL[y.status] : '—'}</Table.Td>
                      <Table.Td>{x?.note !== y?.note ? y?.note || '(removed)' : ''}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )}
        </>
      ) : (
        <Text c="dimmed">Loading snapshots…</Text>
      )}
    </Stack>
  );
}
