import { Center, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconSailboat } from '@tabler/icons-react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { LoadingState } from '@/components/LoadingState';
import { useMe } from '@/lib/auth';
import { LoginForm } from '../components/LoginForm';

/** Only same-app paths are allowed as a redirect target (no open redirect). */
export function safeRedirect(target: string | null | undefined, fallback = '/projects'): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/login')) return fallback;
  return target;
}

interface LocationState {
  from?: string;
}

export function LoginRoute() {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeRedirect((location.state as LocationState | null)?.from ?? params.get('next'));

  if (me.isPending) return <LoadingState rows={0} label="Checking your session" />;
  if (me.data) return <Navigate to={next} replace />;

  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-body)">
      <Paper withBorder shadow="sm" radius="md" p="xl" w="100%" maw={400}>
        <Stack gap="lg">
          <Group gap="sm">
            <ThemeIcon size={40} radius="md">
              <IconSailboat size={24} />
            </ThemeIcon>
            <div>
              <Title order={1} fz="h3">
                Shipyard
              </Title>
              <Text size="sm" c="dimmed">
                Sign in to ship your models.
              </Text>
            </div>
          </Group>
          <LoginForm onSuccess={() => navigate(next, { replace: true })} />
        </Stack>
      </Paper>
    </Center>
  );
}
