import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '@/test/render';
import { UploadModelForm } from './UploadModelForm';

/** A stand-in for XMLHttpRequest: the test drives upload progress and the response. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  withCredentials = false;
  upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.last = this;
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total }));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    act(() => this.onload?.());
  }
}

beforeEach(() => {
  FakeXhr.last = null;
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  document.cookie = 'csrftoken=tok123; path=/';
});
afterEach(() => vi.unstubAllGlobals());

async function chooseFile(container: HTMLElement, name: string) {
  const input = container.querySelector('input[type="file"]');
  if (!(input instanceof HTMLInputElement)) throw new Error('no file input');
  await userEvent.upload(input, new File([new Uint8Array(64)], name));
}

describe('UploadModelForm', () => {
  it('guesses the format, shows upload progress, then hands over the new version', async () => {
    const onUploaded = vi.fn();
    const user = userEvent.setup();
    const { container } = renderWithProviders(<UploadModelForm slug="fraud-model" model="scorer" onUploaded={onUploaded} />);
    await chooseFile(container, 'model.pt2');
    expect(screen.getByDisplayValue('torch.export program (.pt2: workers only)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Upload version' }));

    await vi.waitFor(() => expect(FakeXhr.last).not.toBeNull());
    const xhr = FakeXhr.last as FakeXhr;
    expect(xhr.url).toBe('/api/v1/projects/fraud-model/models/scorer/versions/');
    expect(xhr.headers['X-CSRFToken']).toBe('tok123');
    expect(xhr.body?.get('format')).toBe('torch_export');

    xhr.progress(40, 100);
    expect(screen.getByText('Uploading… 40%')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '40');
    expect(screen.getByRole('button', { name: 'Upload version' })).toBeDisabled();
    xhr.progress(100, 100);
    expect(screen.getByText('Uploaded; validating…')).toBeInTheDocument();

    xhr.respond(201, { id: 7, number: 4, model: 'scorer' });
    await vi.waitFor(() => expect(onUploaded).toHaveBeenCalledWith({ id: 7, number: 4, model: 'scorer' }));
  });

  it('shows a rejection with its message and the field error, and drops the progress bar', async () => {
    const onUploaded = vi.fn();
    const user = userEvent.setup();
    const { container } = renderWithProviders(<UploadModelForm slug="fraud-model" model="scorer" onUploaded={onUploaded} />);
    await chooseFile(container, 'weights.pt');
    await user.click(screen.getByRole('button', { name: 'Upload version' }));
    await vi.waitFor(() => expect(FakeXhr.last).not.toBeNull());
    const xhr = FakeXhr.last as FakeXhr;
    expect(xhr.body?.get('format')).toBe('state_dict');
    xhr.progress(100, 100);
    const message = 'rejected: the file is not loadable with torch.load(weights_only=True)';
    xhr.respond(400, { error: { code: 'rejected', message, fields: { artifact: [message] } } });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Upload rejected');
    expect(alert).toHaveTextContent(message);
    // the same message is attached to the file field
    expect(screen.getAllByText(message)).toHaveLength(2);
    expect(screen.queryByRole('progressbar', { name: 'Upload progress' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Upload version' })).toBeEnabled();
    expect(onUploaded).not.toHaveBeenCalled();
  });
});
