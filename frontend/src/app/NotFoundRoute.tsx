import { Button } from '@mantine/core';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';

export function NotFoundRoute() {
  return (
    <EmptyState
      title="Page not found"
      description="The page you are looking for does not exist or was moved."
      action={
        <Button component={Link} to="/projects" variant="default">
          Back to the project list
        </Button>
      }
    />
  );
}
