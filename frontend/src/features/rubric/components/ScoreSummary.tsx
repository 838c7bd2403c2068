import { Badge, Card, Group, Progress, Stack, Text, Title, Tooltip } from '@mantine/core';
import type { Band, RubricSection, SectionId, SectionScores } from '../api/rubric';
import { SECTION_IDS } from '../scoring';
import { formatScore } from '@/lib/format';

export const BAND_COLOURS: Record<string, string> = {
  research: 'gray',
  untested: 'red',
  'first-pass': 'orange',
  reasonable: 'yellow',
  strong: 'lime',
  exceptional: 'green',
};

export function BandBadge({ band, size = 'md' }: { band: Band; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Tooltip label={band.text} multiline w={280}>
      <Badge color={BAND_COLOURS[band.id] ?? 'gray'} size={size} variant="light" tt="none" data-testid="band">
        {band.label}
      </Badge>
    </Tooltip>
  );
}

interface ScoreSummaryProps {
  sections: SectionScores;
  final: number;
  band: Band;
  verified?: { sections: SectionScores; final: number; band: Band };
  weakest: SectionId[];
  rubricSections: RubricSection[];
  live: boolean;
}

/** The final score with its band, and one bar per section (0..7), verified beside claimed. */
export function ScoreSummary({ sections, final, band, verified, weakest, rubricSections, live }: ScoreSummaryProps) {
  const titles = Object.fromEntries(rubricSections.map((s) => [s.id, s.title]));
  return (
    <Card withBorder radius="md" padding="lg">
      <Group align="flex-start" justify="space-between" wrap="wrap" gap="xl">
        <Stack gap={4} miw={220}>
          <Text size="sm" c="dimmed">
            ML Test Score (minimum of the four sections){live ? ' · unsaved' : ''}
          </Text>
          <Group gap="sm" align="baseline">
            <Title order={2} fz={44} data-testid="final-score" aria-label="Final score">
              {formatScore(final)}
            </Title>
            <BandBadge band={band} size="lg" />
          </Group>
          <Text size="sm" maw={320}>
            {band.text}
          </Text>
          {verified ? (
            <Text size="sm" c="dimmed" data-testid="verified-final">
              Verified by evidence: <b>{formatScore(verified.final)}</b> ({verified.band.label})
            </Text>
          ) : null}
        </Stack>
        <Stack gap="sm" style={{ flex: 1, minWidth: 280 }}>
          {SECTION_IDS.map((id) => (
            <div key={id} data-testid={`section-${id}`}>
              <Group justify="space-between" gap="xs">
                <Text size="sm" fw={weakest.includes(id) ? 700 : 500}>
                  {titles[id] ?? id}
                  {weakest.includes(id) ? ' (weakest)' : ''}
                </Text>
                <Text size="sm" data-testid={`section-score-${id}`}>
                  {formatScore(sections[id])} / 7
                </Text>
              </Group>
              <Progress
                value={(sections[id] / 7) * 100}
                color={weakest.includes(id) ? 'orange' : 'blue'}
                aria-label={`${titles[id] ?? id}: ${formatScore(sections[id])} of 7`}
                size="lg"
              />
              {verified ? (
                <Progress
                  mt={2}
                  value={(verified.sections[id] / 7) * 100}
                  color="teal"
                  size="xs"
                  aria-label={`${titles[id] ?? id} verified: ${formatScore(verified.sections[id])} of 7`}
                />
              ) : null}
            </div>
          ))}
          {verified ? (
            <Text size="xs" c="dimmed">
              Thick bars: claimed. Thin teal bars: verified (an automated claim counts 1 only with fresh passing
              evidence; otherwise it counts as manual).
            </Text>
          ) : null}
        </Stack>
      </Group>
    </Card>
  );
}
