import { NotFound } from '@/components/NotFound';

export function NotFoundRoute() {
  return <NotFound title="Page not found" description="The page you are looking for does not exist or was moved." />;
}
