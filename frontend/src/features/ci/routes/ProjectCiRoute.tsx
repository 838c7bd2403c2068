import { Anchor, Breadcrumbs, Code, Group, Pagination, Stack, Tabs, Text, TextInput } from '@mantine/core';
import { IconGitPullRequest } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useCiRuns, useDependencyChanges, useMetrics } from '../api/ci';
import { CiSettingsForm } from '../components/CiSettingsForm';
import { DependencyDiff } from '../components/DependencyDiff';
import { MetricCharts } from '../components/MetricCharts';
import { MetricPoliciesEditor } from '../components/MetricPoliciesEditor';
import { NotificationsList } from '../components/NotificationsList';
import { RunsTable } from '../components/RunsTable';
import { SecretPanel } from '../components/SecretPanel';
import { TagRulesEditor } from '../components/TagRulesEditor';

function RunsTab({ slug }: { slug: string }) {
  const [page, setPage] = useState(1);
  const runs = useCiRuns(slug, page);
  if (runs.isPending) return <LoadingState rows={4} label="Loading CI runs" />;
  if (runs.isError) return <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />;
  if (runs.data.count === 0) {
    return (
      <EmptyState
        icon={<IconGitPullRequest size={28} />}
        title="No CI runs yet"
        description={
          <>
            Generate a secret under Setup, then add <Code>shipyard ci report</Code> to your pipeline.
          </>
        }
      />
    );
  }
  const pages = Math.ceil(runs.data.count / 50);
  return (
    <Stack>
      <RunsTable slug={slug} runs={runs.data.results} />
      {pages > 1 ? <Pagination total={pages} value={page} onChange={setPage} /> : null}
    </Stack>
  );
}

function MetricsTab({ slug }: { slug: string }) {
  const [branch, setBranch] = useState('');
  const metrics = useMetrics(slug, branch);
  return (
    <Stack>
      <Group>
        <TextInput label="Branch" placeholder="all branches" value={branch} onChange={(e) => setBranch(e.currentTarget.value)} w={240} />
        {metrics.data ? (
          <Text size="sm" c="dimmed" mt={24}>
            Regressions (red) are judged against recent runs of {metrics.data.default_branches.join(' or ')}.
          </Text>
        ) : null}
      </Group>
      {metrics.isPending ? (
        <LoadingState rows={3} label="Loading metrics" />
      ) : metrics.isError ? (
        <ErrorState error={metrics.error} onRetry={() => void metrics.refetch()} />
      ) : Object.keys(metrics.data.series).length === 0 ? (
        <EmptyState title="No metrics yet" description="Pass --metrics metrics.json to shipyard ci report." />
      ) : (
        <MetricCharts series={metrics.data.series} />
      )}
    </Stack>
  );
}

function DependenciesTab({ slug }: { slug: string }) {
  const changes = useDependencyChanges(slug);
  if (changes.isPending) return <LoadingState rows={3} label="Loading dependency changes" />;
  if (changes.isError) return <ErrorState error={changes.error} onRetry={() => void changes.refetch()} />;
  if (changes.data.count === 0) {
    return <EmptyState title="No dependency changes" description="Pass --lockfile to shipyard ci report; changes between runs of a branch appear here." />;
  }
  return (
    <Stack>
      {changes.data.results.map((change) => (
        <DependencyDiff key={change.id} change={change} />
      ))}
    </Stack>
  );
}

export function ProjectCiRoute() {
  const { slug = '' } = useParams();
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/ci" size="sm">
          Pipelines
        </Anchor>
        <Anchor component={Link} to={`/projects/${slug}`} size="sm">
          {slug}
        </Anchor>
      </Breadcrumbs>
      <PageHeader title={`CI runs · ${slug}`} />
      <Tabs defaultValue="runs" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="metrics">Metric trends</Tabs.Tab>
          <Tabs.Tab value="dependencies">Dependency changes</Tabs.Tab>
          <Tabs.Tab value="notifications">Notifications</Tabs.Tab>
          <Tabs.Tab value="rules">Tag rules</Tabs.Tab>
          <Tabs.Tab value="policies">Metric policies</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
          <Tabs.Tab value="setup">Setup</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="runs">
          <RunsTab slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="metrics">
          <MetricsTab slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="dependencies">
          <DependenciesTab slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="notifications">
          <NotificationsList slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="rules">
          <TagRulesEditor slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="policies">
          <MetricPoliciesEditor slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="settings">
          <CiSettingsForm slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="setup">
          <SecretPanel slug={slug} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
