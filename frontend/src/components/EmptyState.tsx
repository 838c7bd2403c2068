import { Stack, Text, ThemeIcon, Title } from '@mantine/core';
import type { ReactNode } from 'react';

interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  icon?: ReactNode;
  action?: ReactNode;
}

export function EmptyState({ title, description, icon, action }: EmptyStateProps) {
  return (
    <Stack align="center" gap="sm" py={48} px="md" ta="center" data-testid="empty-state">
      {icon ? (
        <ThemeIcon size={56} radius="xl" variant="light">
          {icon}
        </ThemeIcon>
      ) : null}
      <Title order={3}>{title}</Title>
      {description ? (
        <Text c="dimmed" maw={480}>
          {description}
        </Text>
      ) : null}
      {action}
    </Stack>
  );
}
