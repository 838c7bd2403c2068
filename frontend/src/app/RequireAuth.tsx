import { Navigate, Outlet, useLocation } from 'react-router';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { useMe } from '@/lib/auth';
import { CurrentTeamProvider } from '@/lib/current-team';
import { Box } from '@mantine/core';

/** Gate for every signed-in route: loads /auth/me/, redirects anonymous users to /login. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();

  if (me.isPending) return <LoadingState rows={0} label="Loading your session" />;
  if (me.isError) {
    return (
      <Box p="xl" maw={640} mx="auto">
        <ErrorState error={me.error} title="Could not reach Shipyard" onRetry={() => void me.refetch()} retrying={me.isFetching} />
      </Box>
    );
  }
  if (!me.data) {
    const from = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/login?next=${encodeURIComponent(from)}`} state={{ from }} replace />;
  }
  return (
    <CurrentTeamProvider teams={me.data.teams}>
      <Outlet />
    </CurrentTeamProvider>
  );
}
