import { Button, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconArrowLeft, IconMapPinOff } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

interface NotFoundProps {
  title?: string;
  description?: ReactNode;
  /** Where "back" leads; the project list unless a closer parent exists. */
  backTo?: string;
  backLabel?: string;
}

/** The one not-found design: what is missing, why it may be, and a way back. */
export function NotFound({
  title = 'Not found',
  description = 'It may have been deleted, or it belongs to a team you are not in.',
  backTo = '/projects',
  backLabel = 'Back to the project list',
}: NotFoundProps) {
  return (
    <Stack align="center" gap="sm" py={48} px="md" ta="center" data-testid="not-found" role="alert">
      <ThemeIcon size={56} radius="xl" variant="light" color="gray" aria-hidden>
        <IconMapPinOff size={28} />
      </ThemeIcon>
      <Title order={2} fz="h3">
        {title}
      </Title>
      <Text c="dimmed" maw={480}>
        {description}
      </Text>
      <Button component={Link} to={backTo} variant="default" leftSection={<IconArrowLeft size={16} />}>
        {backLabel}
      </Button>
    </Stack>
  );
}
