import { Anchor, Card, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useRubric, useTeamRubric } from '../api/rubric';
import { Heatmap } from '../components/Heatmap';
import { BandBadge } from '../components/ScoreSummary';
import { Sparkline } from '../components/Sparkline';
import { SECTION_IDS } from '../scoring';
import { formatScore } from '@/lib/format';

/** /rubric: every project of the current team side by side, and the per-test heat map. */
export function TeamRubricRoute() {
  const { team } = useCurrentTeam();
  const rubric = useRubric();
  const overview = useTeamRubric(team?.slug ?? null);

  const header = (
    <PageHeader
      title="ML Test Score"
      description={`Production readiness of ${team ? `team ${team.name}'s` : 'your'} projects on the 28 tests of the ML Test Score. The score is the weakest section.`}
    />
  );
  if (!team) return (<>{header}<EmptyState title="No team yet" description="Create or join a team to score its projects." /></>);
  if (overview.isError || rubric.isError) {
    return (
      <>
        {header}
        <ErrorState error={overview.error ?? rubric.error} title="Could not load the team's scores" onRetry={() => void overview.refetch()} />
      </>
    );
  }
  if (!overview.data || !rubric.data) return (<>{header}<LoadingState rows={4} label="Loading scores" /></>);

  const titles = Object.fromEntries(rubric.data.sections.map((s) => [s.id, s.title]));
  const data = overview.data;
  return (
    <>
      {header}
      {data.projects.length === 0 ? (
        <EmptyState title="No projects yet" description="Create a project, then score it here." />
      ) : (
        <Stack gap="lg">
          <Card withBorder radius="md" padding="md">
            <Table.ScrollContainer minWidth={800}>
              <Table striped highlightOnHover data-testid="team-scores">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Project</Table.Th>
                    {SECTION_IDS.map((s) => (
                      <Table.Th key={s} ta="right">
                        {titles[s] ?? s}
                      </Table.Th>
                    ))}
                    <Table.Th ta="right">Final</Table.Th>
                    <Table.Th>Band</Table.Th>
                    <Table.Th ta="right">Verified</Table.Th>
                    <Table.Th>Trend</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.projects.map((p) => {
                    const low = Math.min(...SECTION_IDS.map((s) => p.sections[s]));
                    return (
                      <Table.Tr key={p.slug} data-testid={`team-row-${p.slug}`}>
                        <Table.Td>
                          <Anchor component={Link} to={`/projects/${p.slug}/rubric`}>
                            {p.name}
                          </Anchor>
                          {p.assessment ? null : (
                            <Text size="xs" c="dimmed">
                              not assessed yet
                            </Text>
                          )}
                        </Table.Td>
                        {SECTION_IDS.map((s) => (
                          <Table.Td key={s} ta="right" fw={p.sections[s] === low ? 700 : 400} c={p.sections[s] === low ? 'orange.8' : undefined}>
                            {formatScore(p.sections[s])}
                          </Table.Td>
                        ))}
                        <Table.Td ta="right" fw={700} data-testid={`team-final-${p.slug}`}>
                          {formatScore(p.final)}
                        </Table.Td>
                        <Table.Td>
                          <BandBadge band={p.band} size="sm" />
                        </Table.Td>
                        <Table.Td ta="right">
                          <Tooltip label={`${p.unverified_claims} automated claim(s) without fresh evidence`}>
                            <span>{formatScore(p.verified.final)}</span>
                          </Tooltip>
                        </Table.Td>
                        <Table.Td>
                          <Sparkline points={p.history} label={`Final score trend of ${p.name}`} />
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
          <Card withBorder radius="md" padding="md">
            <Title order={2} fz="h4" mb="sm">
              Which tests the team implements
            </Title>
            <Heatmap overview={data} rubricSections={rubric.data.sections} />
          </Card>
        </Stack>
      )}
    </>
  );
}
