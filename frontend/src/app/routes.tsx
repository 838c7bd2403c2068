import type { RouteObject } from 'react-router';
import { Navigate } from 'react-router';
import { LoginRoute } from '@/features/auth/routes/LoginRoute';
import { CiRoute } from '@/features/ci/routes/CiRoute';
import { CiRunRoute } from '@/features/ci/routes/CiRunRoute';
import { ProjectCiRoute } from '@/features/ci/routes/ProjectCiRoute';
import { DeploymentsRoute } from '@/features/deployments/routes/DeploymentsRoute';
import { JobsRoute } from '@/features/jobs/routes/JobsRoute';
import { ModelsRoute } from '@/features/models/routes/ModelsRoute';
import { MonitoringRoute } from '@/features/monitoring/routes/MonitoringRoute';
import { ProjectRoute } from '@/features/projects/routes/ProjectRoute';
import { ProjectsRoute } from '@/features/projects/routes/ProjectsRoute';
import { RubricRoute } from '@/features/rubric/routes/RubricRoute';
import { AppLayout } from './layout/AppLayout';
import { NotFoundRoute } from './NotFoundRoute';
import { RequireAuth } from './RequireAuth';
import { RouteErrorBoundary } from './RouteErrorBoundary';

/**
 * Every screen of the app. To add an area: export a route component from
 * src/features/<area>/routes/<Name>Route.tsx and list it under `appRoutes`.
 */
export const appRoutes: RouteObject[] = [
  { index: true, element: <Navigate to="/projects" replace /> },
  { path: 'projects', element: <ProjectsRoute /> },
  { path: 'projects/:slug', element: <ProjectRoute /> },
  { path: 'rubric', element: <RubricRoute /> },
  { path: 'ci', element: <CiRoute /> },
  { path: 'projects/:slug/ci', element: <ProjectCiRoute /> },
  { path: 'projects/:slug/ci/runs/:runId', element: <CiRunRoute /> },
  { path: 'models', element: <ModelsRoute /> },
  { path: 'jobs', element: <JobsRoute /> },
  { path: 'deployments', element: <DeploymentsRoute /> },
  { path: 'monitoring', element: <MonitoringRoute /> },
  { path: '*', element: <NotFoundRoute /> },
];

export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorBoundary />,
    children: [
      { path: '/login', element: <LoginRoute /> },
      {
        element: <RequireAuth />,
        children: [{ path: '/', element: <AppLayout />, children: appRoutes }],
      },
    ],
  },
];
