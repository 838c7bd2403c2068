import { Box, Group, SimpleGrid, Stack, Text, Tooltip } from '@mantine/core';
import type { RubricSection, TeamOverview } from '../api/rubric';

/** How many of the team's projects implement each test: the paper's view across teams. */
export function Heatmap({ overview, rubricSections }: { overview: TeamOverview; rubricSections: RubricSection[] }) {
  const n = Math.max(overview.project_count, 1);
  return (
    <Stack gap="xs" data-testid="heatmap">
      {rubricSections.map((section) => (
        <Group key={section.id} gap="xs" wrap="nowrap" align="stretch">
          <Text size="sm" fw={600} w={140} style={{ flexShrink: 0 }}>
            {section.title}
          </Text>
          <SimpleGrid cols={7} spacing={4} style={{ flex: 1 }}>
            {section.tests.map((test) => {
              const cell = overview.heatmap[test.id] ?? { none: 0, manual: 0, automated: 0, verified: 0 };
              // A test verified by evidence is implemented (and automated) whatever was claimed.
              const automated = Math.max(cell.automated, cell.verified);
              const implemented = Math.min(Math.max(cell.manual + automated, cell.verified), overview.project_count);
              // Shade by points: automated counts 1, manual 0.5, as in the score.
              const strength = Math.min((automated + cell.manual * 0.5) / n, 1);
              const label = `${test.id}: ${test.title} ${implemented} of ${overview.project_count} projects implement it (${automated} automated, ${cell.verified} of them verified by evidence; ${cell.manual} manual).`;
              return (
                <Tooltip key={test.id} label={label} multiline w={300}>
                  <Box
                    tabIndex={0}
                    aria-label={label}
                    data-testid={`heat-${test.id}`}
                    data-implemented={implemented}
                    data-strength={strength.toFixed(2)}
                    p={6}
                    style={{
                      borderRadius: 6,
                      textAlign: 'center',
                      background: `rgba(12, 166, 120, ${0.08 + 0.85 * strength})`,
                      color: strength > 0.55 ? 'white' : 'inherit',
                      border: '1px solid var(--mantine-color-default-border)',
                    }}
                  >
                    <Text size="xs" fw={600}>
                      {test.id.split('-')[1]}
                    </Text>
                    <Text size="xs">
                      {implemented}/{overview.project_count}
                    </Text>
                  </Box>
                </Tooltip>
              );
            })}
          </SimpleGrid>
        </Group>
      ))}
      <Text size="xs" c="dimmed">
        Each cell: projects that implement the test (manual or automated) of all projects; darker means more automated. A test with fresh passing evidence counts as automated.
      </Text>
    </Stack>
  );
}
