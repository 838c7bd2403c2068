import { Anchor, List, Paper, ScrollArea, Stack, Text } from '@mantine/core';
import { formatDateTime, formatScore } from '@/lib/format';
import { reportUrl, useHistoryWithAnswers, type Answer, type Assessment, type Status } from '../api/rubric';
import { TEST_IDS } from '../scoring';

const LABEL: Record<Status, string> = { none: 'Not done', manual: 'Manual', automated: 'Automated' };
const SHOWN = 3;

function answerChange(id: string, before: Answer | undefined, after: Answer | undefined): string | null {
  const was = before ?? { status: 'none', note: '', links: [] };
  const now = after ?? { status: 'none', note: '', links: [] };
  const parts: string[] = [];
  if (was.status !== now.status) parts.push(`${LABEL[was.status]} → ${LABEL[now.status]}`);
  if (was.note !== now.note) parts.push('note edited');
  if (was.links.join('\n') !== now.links.join('\n')) parts.push('links changed');
  return parts.length ? `${id}: ${parts.join(', ')}` : null;
}

/** What one snapshot changed against the snapshot it was edited from. */
export function changeSummary(snapshot: Assessment, previous: Assessment | undefined): string[] {
  if (!previous) return ['First snapshot'];
  const changes = TEST_IDS.map((id) => answerChange(id, previous.answers?.[id], snapshot.answers?.[id])).filter(
    (c): c is string => c !== null,
  );
  if (changes.length === 0) return ['No answer changed'];
  const shown = changes.slice(0, SHOWN);
  if (changes.length > SHOWN) shown.push(`and ${changes.length - SHOWN} more`);
  return shown;
}

/** Every recent snapshot: who saved it, when, its score and what it changed. */
export function HistoryList({ slug }: { slug: string }) {
  const history = useHistoryWithAnswers(slug);
  if (!history.data) return <Text c="dimmed">Loading snapshots…</Text>;
  const snapshots = history.data;
  if (snapshots.length === 0) return <Text c="dimmed">No snapshots yet.</Text>;
  const byId = new Map(snapshots.map((a) => [a.id, a]));
  return (
    <ScrollArea.Autosize mah={420} type="auto">
      <Stack gap="xs" component="ol" p={0} m={0} style={{ listStyle: 'none' }} data-testid="history-list" aria-label="Snapshots, newest first">
        {snapshots.map((a, i) => {
          // The snapshot it was edited from (null base: the project's first snapshot).
          const previous = a.base === null ? undefined : (byId.get(a.base) ?? snapshots[i + 1]);
          const summary = changeSummary(a, previous);
          return (
            <Paper component="li" withBorder p="xs" radius="sm" key={a.id} data-testid={`history-item-${a.id}`}>
              <Text size="sm" fw={600}>
                {formatDateTime(a.created_at)} · {a.created_by ?? 'unknown author'}
              </Text>
              <Text size="xs" c="dimmed">
                Final {formatScore(a.final)}
                {previous && previous.final !== a.final ? ` (was ${formatScore(previous.final)})` : ''} ·{' '}
                <Anchor href={reportUrl(slug, a.id)} target="_blank" size="xs">
                  report
                </Anchor>
              </Text>
              <List size="xs" spacing={0} mt={2}>
                {summary.map((line) => (
                  <List.Item key={line}>{line}</List.Item>
                ))}
              </List>
            </Paper>
          );
        })}
      </Stack>
    </ScrollArea.Autosize>
  );
}
