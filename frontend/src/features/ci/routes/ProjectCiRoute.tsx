import { Anchor, Breadcrumbs, Code, Group, Pagination, Stack, Tabs, Text, TextInput } from '@mantine/core';
import { IconGitPullRequest } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { PageHeader } from '@/components/PageHeader';
import { useTabParam } from '@/lib/tabs';
import { useCiRuns, useDependencyChanges, useMetrics } from '../api/ci';
import { CiSettingsForm } from '../components/CiSettingsForm';
import { CiSetupPanel } from '../components/CiSetupPanel';
import { DependencyDiff } from '../components/DependencyDiff';
import { MetricCharts } from '../components/MetricCharts';
import { MetricPoliciesEditor } from '../components/MetricPoliciesEditor';
import { NotificationsList } from '../components/NotificationsList';
import { RunsTable } from '../components/RunsTable';
import { TagRulesEditor } from '../components/TagRulesEditor';
import { ProjectGate } from '@/components/ProjectGate';

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
            Generate a secret under CI Setup, then add <Code>shipyard ci report</Code> to your pipeline.
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

const TABS = [
  { value: 'runs', label: 'Runs' },
  { value: 'metrics', label: 'Metric trends' },
  { value: 'dependencies', label: 'Dependency changes' },
  { value: 'notifications', label: 'Notifications' },
  { value: 'rules', label: 'Tag rules' },
  { value: 'policies', label: 'Metric policies' },
  { value: 'settings', label: 'Settings' },
  { value: 'setup', label: 'CI Setup' },
] as const;
type TabValue = (typeof TABS)[number]['value'];
const VALUES: TabValue[] = TABS.map((t) => t.value);

function panel(value: TabValue, slug: string) {
  switch (value) {
    case 'runs':
      return <RunsTab slug={slug} />;
    case 'metrics':
      return <MetricsTab slug={slug} />;
    case 'dependencies':
      return <DependenciesTab slug={slug} />;
    case 'notifications':
      return <NotificationsList slug={slug} />;
    case 'rules':
      return <TagRulesEditor slug={slug} />;
    case 'policies':
      return <MetricPoliciesEditor slug={slug} />;
    case 'settings':
      return <CiSettingsForm slug={slug} />;
    case 'setup':
      return <CiSetupPanel slug={slug} />;
  }
}

/** /projects/:slug/ci: the tab is in the URL (?tab=...); CI Setup comes first until a run arrives. */
/** A missing project is one 404 and the not-found page (the page's queries wait for the project). */
export function ProjectCiRoute() {
  const { slug = '' } = useParams();
  return (
    <ProjectGate slug={slug}>
      <ProjectCiRouteContent />
    </ProjectGate>
  );
}

function ProjectCiRouteContent() {
  const { slug = '' } = useParams();
  const runs = useCiRuns(slug, 1);
  const onboarding = runs.data?.count === 0;
  // while nothing has reported, setting up comes first
  const ordered = onboarding ? [...TABS.filter((t) => t.value === 'setup'), ...TABS.filter((t) => t.value !== 'setup')] : [...TABS];
  const [tab, setTab] = useTabParam(VALUES, onboarding ? 'setup' : 'runs');
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/ci" size="sm">
          CI
        </Anchor>
        <Anchor component={Link} to={`/projects/${slug}`} size="sm">
          {slug}
        </Anchor>
      </Breadcrumbs>
      <PageHeader title={`CI runs · ${slug}`} />
      {runs.isPending ? (
        <LoadingState rows={4} label="Loading CI runs" />
      ) : (
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List mb="md">
            {ordered.map((t) => (
              <Tabs.Tab key={t.value} value={t.value}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {ordered.map((t) => (
            <Tabs.Panel key={t.value} value={t.value}>
              {panel(t.value, slug)}
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
    </>
  );
}
