import { Tabs, Title } from '@mantine/core';
import { LoadingState } from '@/components/LoadingState';
import { useCiRuns } from '@/features/ci/api/ci';
import { CiSetupPanel } from '@/features/ci/components/CiSetupPanel';
import { FeaturePolicyEditor } from '@/features/datasets/components/FeaturePolicyEditor';
import { ProjectAreas, ProjectRoute } from '@/features/projects/routes/ProjectRoute';
import { useTabParam } from '@/lib/tabs';
import { ProjectStatus } from './ProjectStatus';

const TABS = ['overview', 'ci-setup', 'data-policy'] as const;

/** Overview and CI Setup; CI Setup comes first (and opens) while the project has no CI runs. */
function ProjectTabs({ slug }: { slug: string }) {
  const runs = useCiRuns(slug, 1);
  const onboarding = runs.data?.count === 0;
  const [tab, setTab] = useTabParam(TABS, onboarding ? 'ci-setup' : 'overview');
  if (runs.isPending) return <LoadingState rows={3} label="Loading project" />;
  const overview = (
    <Tabs.Tab key="overview" value="overview">
      Overview
    </Tabs.Tab>
  );
  const setup = (
    <Tabs.Tab key="ci-setup" value="ci-setup">
      CI Setup
    </Tabs.Tab>
  );
  return (
    <>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          {onboarding ? [setup, overview] : [overview, setup]}
          <Tabs.Tab value="data-policy">Data policy</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview">
          <ProjectStatus slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="ci-setup">
          <CiSetupPanel slug={slug} />
        </Tabs.Panel>
        <Tabs.Panel value="data-policy">
          <FeaturePolicyEditor slug={slug} />
        </Tabs.Panel>
      </Tabs>
      {/* the project's areas stay in reach whichever tab is open */}
      <Title order={2} fz="h4" mt="xl" mb="sm">
        Areas
      </Title>
      <ProjectAreas slug={slug} />
    </>
  );
}

/** /projects/:slug: the project feature's header; the tabs compose the CI, rubric, serving and monitoring features. */
export function ProjectPage() {
  return <ProjectRoute>{(project) => <ProjectTabs slug={project.slug} />}</ProjectRoute>;
}
