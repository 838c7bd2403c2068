import { Alert, List, Text } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { formatScore } from '@/lib/format';
import type { ProjectScore } from '../api/rubric';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Why the verified score differs from the claimed one, and which of the two is the project's score. */
export function ScoreExplanation({ score }: { score: ProjectScore }) {
  if (score.verified.final === score.final) return null;
  const verdicts = Object.values(score.tests);
  const unverified = verdicts.filter((t) => t.claimed === 'automated' && t.holds === 'unverified').length;
  const failing = verdicts.filter((t) => t.claimed === 'automated' && t.holds === 'failing').length;
  const unclaimed = verdicts.filter((t) => t.holds === 'evidence' && t.claimed !== 'automated').length;
  return (
    <Alert variant="light" color="blue" icon={<IconInfoCircle size={18} />} title="Claimed and verified scores differ" data-testid="score-explanation">
      <Text size="sm" mb="xs">
        The project&apos;s score is the claimed score, <b data-testid="project-score">{formatScore(score.final)}</b>: it comes
        from the team&apos;s answers and is the number the badge, the Markdown report and the team view show. The verified score,{' '}
        <b>{formatScore(score.verified.final)}</b>, is what Shipyard&apos;s own evidence supports, because:
      </Text>
      <List size="sm" spacing={2}>
        {unverified > 0 ? (
          <List.Item data-testid="unverified-claims">
            {plural(unverified, 'automated claim has', 'automated claims have')} no fresh passing evidence and count
            {unverified === 1 ? 's' : ''} as manual (0.5).
          </List.Item>
        ) : null}
        {failing > 0 ? (
          <List.Item>
            {plural(failing, 'automated claim has', 'automated claims have')} failing evidence and count
            {failing === 1 ? 's' : ''} as manual (0.5).
          </List.Item>
        ) : null}
        {unclaimed > 0 ? (
          <List.Item>
            {plural(unclaimed, 'test has', 'tests have')} fresh passing evidence without an automated claim and count
            {unclaimed === 1 ? 's' : ''} as automated (1).
          </List.Item>
        ) : null}
      </List>
      <Text size="sm" mt="xs" c="dimmed">
        Answer a verified test “Automated”, or fix what the evidence reports, to bring the two together.
      </Text>
    </Alert>
  );
}
