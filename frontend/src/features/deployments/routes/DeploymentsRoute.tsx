import { Anchor, Badge, Button, Card, Group, Select, Table, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus, IconRocket } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useTeamProjects } from '@/api/projects';
import { useDeployments, useTeamDeployments } from '../api/deployments';
import { NewDeploymentModal } from '../components/NewDeploymentModal';
import { TrafficSplit } from '../components/TrafficSplit';

export function DeploymentsRoute() {
  const { team } = useCurrentTeam();
  const projects = useTeamProjects(team?.slug ?? null);
  const [params, setParams] = useSearchParams();
  // no ?project=: every deployment of the team, with a project column
  const project = params.get('project') || null;
  const projectDeployments = useDeployments(project);
  const teamDeployments = useTeamDeployments(team?.slug ?? null, project === null);
  const deployments = project ? projectDeployments : teamDeployments;
  const projectNames = new Map((projects.data?.results ?? []).map((p) => [p.slug, p.name]));
  const [opened, { open, close }] = useDisclosure(false);
  // "New deployment" needs a project: the chosen one, or the team's only one
  const newIn = project ?? (projects.data?.results.length === 1 ? projects.data.results[0]!.slug : null);

  return (
    <>
      <PageHeader
        title="Deployments"
        description="Batched serving endpoints: live and canary versions, traffic shares. Numbers refresh every few seconds."
        actions={
          <>
            <Select
              aria-label="Project"
              data={[{ value: '', label: 'All projects' }, ...(projects.data?.results ?? []).map((p) => ({ value: p.slug, label: p.name }))]}
              value={project ?? ''}
              allowDeselect={false}
              onChange={(value) => setParams(value ? { project: value } : {})}
            />
            <Tooltip label="Pick a project first" disabled={newIn !== null}>
              <Button leftSection={<IconPlus size={16} />} onClick={open} disabled={newIn === null}>
                New deployment
              </Button>
            </Tooltip>
          </>
        }
      />
      {newIn ? <NewDeploymentModal project={newIn} opened={opened} onClose={close} /> : null}
      {deployments.isPending && (project || team) ? <LoadingState rows={3} label="Loading deployments" /> : null}
      {deployments.isError ? <ErrorState error={deployments.error} onRetry={() => deployments.refetch()} /> : null}
      {deployments.data && deployments.data.results.length === 0 ? (
        <EmptyState
          icon={<IconRocket size={28} />}
          title="No deployments yet"
          description={
            project
              ? `${projectNames.get(project) ?? project} has no deployments. Deploy a registered model version behind a batched endpoint (Deploy on a model version page, or New deployment).`
              : 'Deploy a registered model version behind a batched endpoint: Deploy on a model version page, or pick a project and use New deployment.'
          }
        />
      ) : null}
      {deployments.data && deployments.data.results.length > 0 ? (
        <Card withBorder padding={0}>
          <Table verticalSpacing="sm" aria-label="Deployments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Deployment</Table.Th>
                {project ? null : <Table.Th>Project</Table.Th>}
                <Table.Th>Model</Table.Th>
                <Table.Th>Live</Table.Th>
                <Table.Th>Canary</Table.Th>
                <Table.Th w="35%">Traffic</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {deployments.data.results.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/deployments/${d.project}/${d.name}`}>
                      {d.name}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {d.endpoint}
                    </Text>
                  </Table.Td>
                  {project ? null : (
                    <Table.Td>
                      <Anchor component={Link} to={`/deployments?project=${d.project}`} size="sm">
                        {projectNames.get(d.project) ?? d.project}
                      </Anchor>
                    </Table.Td>
                  )}
                  <Table.Td>{d.model}</Table.Td>
                  <Table.Td>
                    <Badge color="teal" tt="none">
                      v{d.live_version.number}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{d.canary_version ? <Badge color="orange" tt="none">v{d.canary_version.number}</Badge> : '—'}</Table.Td>
                  <Table.Td>
                    <Group grow>
                      <TrafficSplit deployment={d} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
    </>
  );
}
