import { Anchor, Breadcrumbs, Button, Card, Grid, Group, Menu, Stack, Tabs, Text, Title } from '@mantine/core';
import { IconChartLine, IconChecklist, IconFileText, IconGitCompare, IconShare } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '@/api/errors';
import { EmptyState } from '@/components/EmptyState';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { useCurrentTeam } from '@/lib/current-team';
import {
  badgeUrl,
  reportUrl,
  rubricKeys,
  useAssessmentHistory,
  useLatestAssessment,
  useRubric,
  useSaveAssessment,
  useScore,
  type Answer,
  type Answers,
  type Assessment,
  type Status,
} from '../api/rubric';
import { HistoryChart } from '../components/HistoryChart';
import { HistoryList } from '../components/HistoryList';
import { SaveStatus, type SaveState } from '../components/SaveStatus';
import { ScoreExplanation } from '../components/ScoreExplanation';
import { ScoreSummary } from '../components/ScoreSummary';
import { SnapshotDiff } from '../components/SnapshotDiff';
import { TestRow } from '../components/TestRow';
import { WeakestPanel } from '../components/WeakestPanel';
import { bandFor, finalScore, sectionScores, TEST_IDS, weakestSections } from '../scoring';
import { ProjectGate } from '@/components/ProjectGate';

const AUTOSAVE_MS = 700;

function complete(answers: Answers | undefined): Answers {
  const out: Answers = {};
  for (const id of TEST_IDS) out[id] = answers?.[id] ?? { status: 'none', note: '', links: [] };
  return out;
}

/** A missing project is one 404 and the not-found page (the page's queries wait for the project). */
export function ProjectRubricRoute() {
  const { slug = '' } = useParams();
  return (
    <ProjectGate slug={slug}>
      <ProjectRubricRouteContent />
    </ProjectGate>
  );
}

function ProjectRubricRouteContent() {
  const { slug = '' } = useParams();
  const { team } = useCurrentTeam();
  const queryClient = useQueryClient();
  const rubric = useRubric();
  const latest = useLatestAssessment(slug);
  const score = useScore(slug);
  const history = useAssessmentHistory(slug);
  const save = useSaveAssessment(slug);

  // The answers being edited; null until the first edit (then the latest snapshot is shown).
  const [draft, setDraft] = useState<Answers | null>(null);
  const [saveState, setSaveState] = useState<SaveState>('idle');
  const [saveError, setSaveError] = useState<string>('');
  const [lastSaved, setLastSaved] = useState<Assessment | null>(null);
  const base = useRef<number | null | undefined>(undefined);
  const queued = useRef<Answers | null>(null);
  const inFlight = useRef(false);
  const timer = useRef<number | undefined>(undefined);

  const answers = useMemo(() => draft ?? complete(latest.data?.answers), [draft, latest.data]);

  // Save queued edits one request at a time; an edit made during a save is sent right after it.
  const flush = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      while (queued.current !== null) {
        const body = queued.current;
        queued.current = null;
        setSaveState('saving');
        const saved = await save.mutateAsync({ answers: body, base: base.current ?? null });
        base.current = saved.id;
        setLastSaved(saved);
      }
      setSaveState('saved');
    } catch (error) {
      queued.current = null;
      if (error instanceof ApiError && error.status === 409) setSaveState('conflict');
      else {
        setSaveError(errorMessage(error));
        setSaveState('error');
      }
    } finally {
      inFlight.current = false;
    }
  }, [save]);

  const onChange = useCallback(
    (id: string, answer: Answer) => {
      setDraft((current) => {
        const next = { ...(current ?? complete(latest.data?.answers)), [id]: answer };
        if (base.current === undefined) base.current = latest.data?.id ?? null;
        queued.current = next;
        return next;
      });
      setSaveState((s) => (s === 'conflict' ? s : 'pending'));
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => void flush(), AUTOSAVE_MS);
    },
    [latest.data, flush],
  );

  // Warn before leaving with an unsaved edit.
  useEffect(() => {
    const handler = (event: BeforeUnloadEvent) => {
      if (queued.current !== null || inFlight.current) event.preventDefault();
    };
    window.addEventListener('beforeunload', handler);
    return () => window.removeEventListener('beforeunload', handler);
  }, []);

  const reload = useCallback(async () => {
    window.clearTimeout(timer.current);
    queued.current = null;
    base.current = undefined;
    setDraft(null);
    setLastSaved(null);
    setSaveState('idle');
    await queryClient.invalidateQueries({ queryKey: rubricKeys.project(slug) });
  }, [queryClient, slug]);

  const jump = useCallback((id: string) => {
    const el = document.getElementById(`test-${id}`);
    el?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    el?.querySelector<HTMLInputElement>('input[type=radio]:checked')?.focus();
  }, []);

  const crumbs = (
    <Breadcrumbs mb="sm">
      <Anchor component={Link} to="/projects" size="sm">
        Project list
      </Anchor>
      <Anchor component={Link} to={`/projects/${slug}`} size="sm">
        {slug}
      </Anchor>
      <Text size="sm">Readiness score</Text>
    </Breadcrumbs>
  );

  const failed = [rubric, latest, score].find((q) => q.isError);
  if (failed?.error) {
    if (failed.error instanceof ApiError && failed.error.status === 404) {
      return (
        <>
          {crumbs}
          <EmptyState title="Project not found" description={`There is no project “${slug}” in your teams.`} />
        </>
      );
    }
    return (
      <>
        {crumbs}
        <ErrorState error={failed.error} title="Could not load the assessment" onRetry={() => void reload()} />
      </>
    );
  }
  if (!rubric.data || latest.data === undefined || !score.data) {
    return (
      <>
        {crumbs}
        <LoadingState rows={6} label="Loading the assessment" />
      </>
    );
  }

  const doc = rubric.data;
  const statuses = Object.fromEntries(TEST_IDS.map((id) => [id, answers[id]?.status ?? 'none'])) as Record<string, Status>;
  // Numbers: from the API once saved; computed live (same rules, tested against the API's cases)
  // only while an edit is unsaved.
  const live = saveState === 'pending' || saveState === 'saving' || (saveState === 'conflict' && draft !== null);
  const claimed = live
    ? (() => {
        const sections = sectionScores(statuses);
        const final = finalScore(sections);
        return { sections, final, band: bandFor(final, doc.bands), weakest: weakestSections(sections) };
      })()
    : lastSaved
      ? { sections: lastSaved.sections, final: lastSaved.final, band: lastSaved.band, weakest: weakestSections(lastSaved.sections) }
      : { sections: score.data.sections, final: score.data.final, band: score.data.band, weakest: score.data.weakest };
  const verifiedTests = new Set(Object.keys(score.data.tests).filter((id) => score.data.tests[id]?.holds === 'evidence'));
  const readOnly = team?.role === 'viewer';
  const savedId = lastSaved?.id ?? latest.data?.id ?? null;

  return (
    <>
      {crumbs}
      <Group justify="space-between" align="flex-start" mb="md" wrap="wrap">
        <Stack gap={2}>
          <Title order={1} fz="h2">
            ML Test Score: {slug}
          </Title>
          <Text c="dimmed" size="sm">
            {doc.title} v{doc.version} · 28 tests in 4 sections · evidence window {score.data.window_days} days
            {readOnly ? ' · read-only (viewer)' : ''}
          </Text>
        </Stack>
        <Group gap="sm">
          <SaveStatus state={saveState} error={saveError} onReload={() => void reload()} />
          <Menu position="bottom-end">
            <Menu.Target>
              <Button variant="light" leftSection={<IconShare size={16} />}>
                Share
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item
                leftSection={<IconFileText size={14} />}
                component="a"
                href={savedId ? reportUrl(slug, savedId) : undefined}
                target="_blank"
                disabled={!savedId}
              >
                Markdown report
              </Menu.Item>
              <Menu.Item component="a" href={badgeUrl(slug)} target="_blank">
                Badge (SVG)
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </Group>

      <Stack gap="md">
        <ScoreSummary
          sections={claimed.sections}
          final={claimed.final}
          band={claimed.band}
          verified={score.data.verified}
          weakest={claimed.weakest}
          rubricSections={doc.sections}
          live={live}
        />
        {live ? null : <ScoreExplanation score={score.data} />}
        <WeakestPanel
          weakest={claimed.weakest}
          rubricSections={doc.sections}
          statuses={statuses}
          verified={verifiedTests}
          onJump={jump}
        />

        <Tabs defaultValue="questionnaire" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="questionnaire" leftSection={<IconChecklist size={16} />}>
              Questionnaire
            </Tabs.Tab>
            <Tabs.Tab value="history" leftSection={<IconChartLine size={16} />}>
              History
            </Tabs.Tab>
            <Tabs.Tab value="compare" leftSection={<IconGitCompare size={16} />}>
              Compare snapshots
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="questionnaire" pt="md">
            <Stack gap="lg">
              {doc.sections.map((section) => (
                <Card key={section.id} withBorder radius="md" padding="md" component="section" aria-labelledby={`section-title-${section.id}`}>
                  <Title order={2} fz="h4" mb="sm" id={`section-title-${section.id}`}>
                    {section.title}
                  </Title>
                  <Stack gap="sm">
                    {section.tests.map((test) => (
                      <TestRow
                        key={test.id}
                        test={test}
                        answer={answers[test.id] ?? { status: 'none', note: '', links: [] }}
                        verdict={score.data.tests[test.id]}
                        readOnly={readOnly}
                        onChange={onChange}
                      />
                    ))}
                  </Stack>
                </Card>
              ))}
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="history" pt="md">
            <Grid gap="md">
              <Grid.Col span={{ base: 12, md: 8 }}>
                <HistoryChart history={history.data ?? []} rubricSections={doc.sections} />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <HistoryList slug={slug} />
              </Grid.Col>
            </Grid>
          </Tabs.Panel>
          <Tabs.Panel value="compare" pt="md">
            {history.data ? <SnapshotDiff slug={slug} history={history.data} rubricSections={doc.sections} /> : <LoadingState rows={2} />}
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </>
  );
}
