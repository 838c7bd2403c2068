import { ActionIcon, Anchor, AppShell, Burger, Button, Group, NavLink, Text, ThemeIcon, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconLogout, IconSailboat } from '@tabler/icons-react';
import { Suspense } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { errorMessage } from '@/api/errors';
import { LoadingState } from '@/components/LoadingState';
import { TeamSwitcher } from '@/features/teams/components/TeamSwitcher';
import { useLogout, useMe } from '@/lib/auth';
import { ColorSchemeToggle } from './ColorSchemeToggle';
import { NAV_ITEMS, activeArea } from './nav';

export function AppLayout() {
  const [navOpened, nav] = useDisclosure(false);
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const area = activeArea(pathname);
  const isActive = (to: string) => area === to;

  function handleLogout() {
    logout.mutate(undefined, {
      onSuccess: () => navigate('/login', { replace: true }),
      onError: (error) => {
        notifications.show({ color: 'red', title: 'Could not log out', message: errorMessage(error) });
        navigate('/login', { replace: true });
      },
    });
  }

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px={{ base: 'xs', sm: 'md' }} justify="space-between" wrap="nowrap" gap="xs">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Anchor component={Link} to="/projects" underline="never" c="inherit" aria-label="Shipyard home">
              <Group gap={8} wrap="nowrap">
                <ThemeIcon size={32} radius="md">
                  <IconSailboat size={20} />
                </ThemeIcon>
                <Title order={2} fz="lg" visibleFrom="xs">
                  Shipyard
                </Title>
              </Group>
            </Anchor>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <TeamSwitcher />
            <Text size="sm" fw={500} visibleFrom="sm" data-testid="current-username">
              {me.data?.username}
            </Text>
            <ColorSchemeToggle />
            <Button
              variant="default"
              size="sm"
              leftSection={<IconLogout size={16} />}
              onClick={handleLogout}
              loading={logout.isPending}
              visibleFrom="sm"
            >
              Log out
            </Button>
            {/* on a phone the header keeps its icons: the same action, without the label */}
            <ActionIcon
              variant="default"
              size="lg"
              aria-label="Log out"
              onClick={handleLogout}
              loading={logout.isPending}
              hiddenFrom="sm"
            >
              <IconLogout size={18} />
            </ActionIcon>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm" aria-label="Main navigation">
        {NAV_ITEMS.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            leftSection={item.icon}
            active={isActive(item.to)}
            aria-current={isActive(item.to) ? 'page' : undefined}
            onClick={nav.close}
            variant="light"
          />
        ))}
      </AppShell.Navbar>

      <AppShell.Main>
        <Suspense fallback={<LoadingState rows={0} />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
