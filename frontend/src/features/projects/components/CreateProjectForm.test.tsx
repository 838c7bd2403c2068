import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '@/test/render';
import { CreateProjectForm } from './CreateProjectForm';

afterEach(() => vi.unstubAllGlobals());

describe('CreateProjectForm', () => {
  it('fills the slug from the name until the slug is edited', async () => {
    const user = userEvent.setup();
    renderWithProviders(<CreateProjectForm team="acme" />);
    await user.type(screen.getByLabelText('Name'), 'Fraud Detector');
    expect(screen.getByLabelText('Slug')).toHaveValue('fraud-detector');

    await user.clear(screen.getByLabelText('Slug'));
    await user.type(screen.getByLabelText('Slug'), 'fd');
    await user.type(screen.getByLabelText('Name'), ' 2');
    expect(screen.getByLabelText('Slug')).toHaveValue('fd');
  });

  it('validates on the client before sending anything', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<CreateProjectForm team="acme" />);

    await user.type(screen.getByLabelText('Slug'), 'Bad Slug');
    await user.click(screen.getByRole('button', { name: 'Create project' }));

    expect(await screen.findByText('Name is required.')).toBeInTheDocument();
    expect(screen.getByText(/lowercase letters, digits and dashes/)).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('shows a server field error inline under the field', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async () =>
      jsonResponse(
        {
          error: {
            code: 'invalid',
            message: 'Invalid input.',
            fields: { slug: ['project with this slug already exists.'] },
          },
        },
        400,
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    const onCreated = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CreateProjectForm team="acme" onCreated={onCreated} />);

    await user.type(screen.getByLabelText('Name'), 'Fraud Detector');
    await user.type(screen.getByLabelText('Description'), 'Flags card fraud');
    // Enter submits the form.
    await user.type(screen.getByLabelText('Name'), '{Enter}');

    const message = await screen.findByText('project with this slug already exists.');
    const slugInput = screen.getByLabelText('Slug');
    expect(slugInput).toHaveAttribute('aria-invalid', 'true');
    expect(slugInput.getAttribute('aria-describedby')).toContain(message.id);
    expect(onCreated).not.toHaveBeenCalled();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(request.method).toBe('POST');
    expect(request.url).toMatch(/\/api\/v1\/projects\/$/);
    expect(request.headers.get('X-CSRFToken')).toBe('tok123');
    expect(await request.json()).toEqual({
      name: 'Fraud Detector',
      slug: 'fraud-detector',
      description: 'Flags card fraud',
      team: 'acme',
    });
  });

  it('shows errors for fields that are not in the form above it', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse({ error: { code: 'invalid', message: 'Invalid input.', fields: { team: ['Not a member.'] } } }, 400),
      ),
    );
    const user = userEvent.setup();
    renderWithProviders(<CreateProjectForm team="acme" />);
    await user.type(screen.getByLabelText('Name'), 'X{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Not a member.');
  });

  it('calls onCreated with the new project', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const project = {
      id: 1,
      slug: 'fraud-detector',
      name: 'Fraud Detector',
      team: 'acme',
      description: '',
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
    };
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(project, 201)));
    const onCreated = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<CreateProjectForm team="acme" onCreated={onCreated} />);
    await user.type(screen.getByLabelText('Name'), 'Fraud Detector');
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(project));
  });
});
