import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import type { Answers, Band, SectionScores, Status } from '../api/rubric';
import shared from '../scoring-cases.json';
import { bandFor, finalScore, SECTION_IDS, sectionScores, TEST_IDS, weakestSections } from '../scoring';
import { ProjectRubricRoute } from './ProjectRubricRoute';

const bands = shared.bands as Band[];
const BASE = '/api/v1/projects/fraud-model';

const RUBRIC = {
  version: 1,
  title: 'ML Test Score',
  citation: '',
  statuses: [
    { id: 'none', label: 'Not done', points: 0 },
    { id: 'manual', label: 'Manual', points: 0.5 },
    { id: 'automated', label: 'Automated', points: 1 },
  ],
  bands,
  sections: SECTION_IDS.map((id) => ({
    id,
    title: id,
    tests: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ id: `${id}-${n}`, title: `Test ${id}-${n}`, guidance: `Guidance for ${id}-${n}.` })),
  })),
};

/** Every test manual except data-1 (not done): data 3, the others 3.5, final 3. */
function answersWith(overrides: Record<string, Status>): Answers {
  return Object.fromEntries(TEST_IDS.map((id) => [id, { status: overrides[id] ?? 'manual', note: '', links: [] }]));
}

function snapshot(id: number, answers: Answers) {
  const sections: SectionScores = sectionScores(Object.fromEntries(TEST_IDS.map((t) => [t, answers[t]?.status ?? 'none'])));
  const final = finalScore(sections);
  return { id, project: 'fraud-model', rubric_version: 1, base: null, created_at: '2026-11-01T10:00:00Z', created_by: 'ada', sections, final, band: bandFor(final, bands), answers };
}

function scoreOf(snap: ReturnType<typeof snapshot>) {
  const weakest = weakestSections(snap.sections);
  return {
    project: 'fraud-model',
    window_days: 30,
    computed_at: snap.created_at,
    assessment: { id: snap.id, created_at: snap.created_at, created_by: 'ada', base: null },
    sections: snap.sections,
    final: snap.final,
    band: snap.band,
    weakest,
    verified: { sections: snap.sections, final: snap.final, band: snap.band, weakest },
    tests: {},
    unverified_claims: 0,
  };
}

/** A backend whose latest snapshot the test can replace (as if a teammate saved). */
function fakeBackend(initial: ReturnType<typeof snapshot>) {
  // `hold`: while set, saves wait for it, so a test can look at the page before the save lands.
  const state = { latest: initial, posts: [] as unknown[], hold: null as Promise<void> | null };
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = requestPath(input);
    const method = requestMethod(input);
    if (url === '/api/v1/rubric/') return jsonResponse(RUBRIC);
    if (url === `${BASE}/`) return jsonResponse({ slug: BASE.split('/').pop(), name: 'Project', team: 'acme', description: '' });
    if (url === `${BASE}/score/`) return jsonResponse(scoreOf(state.latest));
    if (url.startsWith(`${BASE}/assessments/`) && method === 'GET') {
      const { answers, ...summary } = state.latest;
      const row = url.includes('answers=true') ? { ...summary, answers } : summary;
      return jsonResponse({ count: 1, next: null, previous: null, results: [row] });
    }
    if (url === `${BASE}/assessments/` && method === 'POST') {
      const body = (await requestJson(input)) as { answers: Answers; base: number | null };
      if (state.hold) await state.hold;
      state.posts.push(body);
      // like the API: a save on a stale base is a 409 and writes nothing
      if (body.base === state.latest.id) {
        state.latest = snapshot(state.latest.id + 1, body.answers);
        const { answers: _answers, ...saved } = state.latest;
        return jsonResponse(saved, 201);
      }
      return jsonResponse(
        { error: { code: 'conflict', message: 'The assessment was changed since you loaded it.', fields: { base: ['stale'] } } },
        409,
      );
    }
    return jsonResponse({ error: { code: 'not_found', message: url } }, 404);
  });
  return { state, fetchMock };
}

function renderRoute() {
  return renderWithProviders(
    <Routes>
      <Route path="/projects/:slug/rubric" element={<ProjectRubricRoute />} />
    </Routes>,
    { route: '/projects/fraud-model/rubric' },
  );
}

beforeEach(() => {
  document.cookie = 'csrftoken=tok123; path=/';
});
afterEach(() => vi.unstubAllGlobals());

// 28 questionnaire rows render slowly in jsdom; leave room on a loaded two-core machine.
const SLOW = 30_000;

describe('ProjectRubricRoute', () => {
  it('moves the section bar and the final score locally as soon as an answer changes', async () => {
    const { state, fetchMock } = fakeBackend(snapshot(5, answersWith({ 'data-1': 'none' })));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderRoute();

    expect(await screen.findByTestId('final-score')).toHaveTextContent('3');
    expect(screen.getByTestId('section-score-data')).toHaveTextContent('3 / 7');
    expect(screen.getByTestId('band')).toHaveTextContent('Reasonably tested');
    expect(screen.getByTestId('save-status')).toHaveTextContent('Changes save automatically');

    let release: () => void = () => undefined;
    state.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    await user.click(within(screen.getByTestId('test-data-1')).getByLabelText('Automated'));
    // before any save: computed in the browser with the paper's rules
    expect(screen.getByTestId('section-score-data')).toHaveTextContent('4 / 7');
    expect(screen.getByTestId('final-score')).toHaveTextContent('3.5');
    expect(screen.getByTestId('band')).toHaveTextContent('Strong');
    expect(screen.getByText(/unsaved/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'data: 4 of 7' })).toBeInTheDocument();
    expect(screen.getByTestId('save-status')).toHaveTextContent('Saving…');

    release();
    // the autosave lands; the numbers now come from the API's snapshot
    await waitFor(() => expect(screen.getByTestId('save-status')).toHaveTextContent('Saved'), { timeout: 8000 });
    expect(state.posts).toHaveLength(1);
    expect(state.latest.id).toBe(6);
    expect(screen.queryByText(/unsaved/)).not.toBeInTheDocument();
    expect(screen.getByTestId('final-score')).toHaveTextContent('3.5');
  }, SLOW);

  it('shows a conflict when someone else saved first, keeps the edit, and reloads the latest on request', async () => {
    const { state, fetchMock } = fakeBackend(snapshot(5, answersWith({ 'data-1': 'none' })));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderRoute();
    await screen.findByTestId('final-score');

    // a teammate saves snapshot 6 (data-1 automated) after this page loaded
    state.latest = snapshot(6, answersWith({ 'data-1': 'automated', 'model-1': 'automated' }));
    await user.click(within(screen.getByTestId('test-data-1')).getByLabelText('Manual'));

    const status = screen.getByTestId('save-status');
    await waitFor(() => expect(status).toHaveTextContent('Conflict — someone else saved'), { timeout: 8000 });
    expect(state.posts).toHaveLength(1);
    expect(state.posts[0]).toMatchObject({ base: 5, answers: { 'data-1': { status: 'manual' } } });
    // the local edit is still shown, marked unsaved
    expect(within(screen.getByTestId('test-data-1')).getByLabelText('Manual')).toBeChecked();
    expect(screen.getByTestId('section-score-data')).toHaveTextContent('3.5 / 7');

    await user.click(within(status).getByRole('button', { name: 'Reload latest' }));
    await waitFor(() => expect(within(screen.getByTestId('test-data-1')).getByLabelText('Automated')).toBeChecked());
    expect(screen.getByTestId('section-score-data')).toHaveTextContent('4 / 7');
    expect(screen.getByTestId('section-score-model')).toHaveTextContent('4 / 7');
    expect(screen.getByTestId('save-status')).toHaveTextContent('Changes save automatically');
    expect(state.posts).toHaveLength(1);
  }, SLOW);
});
