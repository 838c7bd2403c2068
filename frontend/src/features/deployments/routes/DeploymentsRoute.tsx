import { Anchor, Badge, Button, Card, Group, Select, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus, IconRocket } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCurrentTeam } from '@/lib/current-team';
import { useDeployments, useTeamProjects } from '../api/deployments';
import { NewDeploymentModal } from '../components/NewDeploymentModal';
import { TrafficSplit } from '../components/TrafficSplit';

export function DeploymentsRoute() {
  const { team } = useCurrentTeam();
  const projects = useTeamProjects(team?.slug ?? null);
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? projects.data?.results[0]?.slug ?? null;
  const deployments = useDeployments(project);
  const [opened, { open, close }] = useDisclosure(false);

  return (
    <>
      <PageHeader
        title="Deployments"
        description="Batched serving endpoints: live and canary versions, traffic shares. Numbers refresh every few seconds."
        actions={
          <>
            <Select
              aria-label="Project"
              placeholder="Project"
              data={(projects.data?.results ?? []).map((p) => ({ value: p.slug, label: p.name }))}
              value={project}
              onChange={(value) => value && setParams({ project: value })}
            />
            <Button leftSection={<IconPlus size={16} />} onClick={open} disabled={!project}>
              New deployment
            </Button>
          </>
        }
      />
      {project ? <NewDeploymentModal project={project} opened={opened} onClose={close} /> : null}
      {deployments.isPending && project ? <LoadingState rows={3} label="Loading deployments" /> : null}
      {deployments.isError ? <ErrorState error={deployments.error} onRetry={() => deployments.refetch()} /> : null}
      {deployments.data && deployments.data.results.length === 0 ? (
        <EmptyState icon={<IconRocket size={28} />} title="No deployments yet" description="Deploy a registered model version behind a batched endpoint." />
      ) : null}
      {deployments.data && deployments.data.results.length > 0 ? (
        <Card withBorder padding={0}>
          <Table verticalSpacing="sm" aria-label="Deployments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Deployment</Table.Th>
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
                  <Table.Td>{d.model}</Table.Td>
                  <Table.Td>
                    <Badge color="teal">v{d.live_version.number}</Badge>
                  </Table.Td>
                  <Table.Td>{d.canary_version ? <Badge color="orange">v{d.canary_version.number}</Badge> : '—'}</Table.Td>
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
