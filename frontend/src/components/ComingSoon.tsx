import { Paper } from '@mantine/core';
import type { ReactNode } from 'react';
import { EmptyState } from './EmptyState';
import { PageHeader } from './PageHeader';

interface ComingSoonProps {
  title: string;
  icon: ReactNode;
  /** What the area will bring, e.g. "the model registry". Rendered as "Coming with ...". */
  coming: string;
  description?: string;
}

/** Friendly placeholder for an area whose feature has not landed yet. */
export function ComingSoon({ title, icon, coming, description }: ComingSoonProps) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <Paper withBorder radius="md">
        <EmptyState
          icon={icon}
          title={`Coming with ${coming}`}
          description="This area is not built yet. Everything you set up in your projects will show up here once it lands."
        />
      </Paper>
    </>
  );
}
