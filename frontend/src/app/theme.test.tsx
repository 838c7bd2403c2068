import { MantineProvider, Modal } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { theme } from './theme';

describe('theme', () => {
  it("gives every modal's close button an accessible name", () => {
    render(
      <MantineProvider theme={theme}>
        <Modal opened onClose={() => {}} title="Deploy">
          body
        </Modal>
      </MantineProvider>,
    );
    expect(screen.getByRole('button', { name: 'Close' })).toBeInTheDocument();
  });
});
